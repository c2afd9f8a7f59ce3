/** The haproxy.cfg a local proxy reads: the one rendered from lab.yaml, with loopback addresses and the ports actually allocated. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../../errors.js';
import { renderHaproxyCfg, type CfgTarget } from '../../render/haproxy-cfg.js';
import type { FrontendSpec, LabSpec } from '../../spec/types.js';
import { LOOPBACK } from './ports.js';

export interface LocalPorts {
  /** app name → port it listens on */
  apps: Map<string, number>;
  /** frontend name → host port this proxy binds */
  frontends: Map<string, number>;
  stats: number;
}

export function localCfgTarget(ports: LocalPorts): CfgTarget {
  return {
    serverAddress: (app) => `${LOOPBACK}:${ports.apps.get(app.name) ?? app.port}`,
    bindHost: LOOPBACK,
    bindPort: (f: FrontendSpec) => ports.frontends.get(f.name) ?? f.hostPort,
    statsPort: ports.stats,
  };
}

/** A config's text without comments, blank lines and indentation: edits that change nothing compare equal. */
function meaningful(cfg: string): string {
  return cfg.split('\n').map((l) => l.replace(/#.*$/, '').trim().replace(/\s+/g, ' ')).filter(Boolean).join('\n');
}

/**
 * The local runtime runs the config rendered from lab.yaml (with loopback addresses and the
 * ports it allocated), never the lab's own haproxy.cfg file. Where that file was edited by
 * hand, running the rendered one would judge a config nobody wrote and could pass it: refuse.
 */
export async function assertLabCfgUnedited(spec: LabSpec, dir: string, service: string): Promise<void> {
  const file = join(dir, service, 'haproxy.cfg');
  let onDisk: string;
  try {
    onDisk = await readFile(file, 'utf8');
  } catch {
    return; // no rendered file (a lab written by hand, or removed): nothing to disagree with
  }
  if (meaningful(onDisk) === meaningful(renderHaproxyCfg(spec))) return;
  throw new BadInputError(
    `${file} differs from the config lab.yaml renders, and the local runtime can only run the rendered one`,
    {},
    'run the lab with --runtime docker (it runs the file as it is), or make the change in lab.yaml and run `haplab new --spec lab.yaml --force` in the lab',
  );
}
