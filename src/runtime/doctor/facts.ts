/**
 * What `haplab doctor` finds out about this machine, each probe bounded in time: the
 * Docker engine and how it was found, the registry, the base images, what building the
 * offline ones needs, HAProxy and Flask for the local runtime, Node against the supported
 * range. Facts only; what they mean is verdict.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../paths.js';
import { baseImages } from '../../lab-schema/images.js';
import { findEngine } from '../docker/engine.js';
import { offlineBuildProblem, presentFlavors, registryProblem, type Problem } from '../images/facts.js';
import { detectTools, replicaEntry, tsProxyEntry } from '../local/tools.js';

const run = promisify(execFile);

export interface DoctorFacts {
  node: { version: string; range: string };
  engine: { where: string; how: string; version?: string } | { problem: string; fix?: string };
  /** Absent when no engine answered. */
  images?: { official: boolean; offline: boolean; officialNames: string[]; offlineNames: string[] };
  /** Absent when no engine answered; `reachable` when the registry gave a manifest. */
  registry?: 'reachable' | Problem;
  /** Undefined when the offline images can be built here. */
  offlineBuild: Problem | undefined;
  haproxy: { path: string; version: string } | { problem: string };
  /** noWaitress: why waitress does not import there (app.py then serves with Flask's development server). */
  flask: { python: string; noWaitress?: string } | { problem: string };
  /** haplab's compiled entry points the local runtime runs (TypeScript proxy, app replicas). */
  compiled: { problem?: string };
}

function nodeRange(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  return manifest.engines?.node ?? '*';
}

async function engineFacts(env: NodeJS.ProcessEnv): Promise<Pick<DoctorFacts, 'engine' | 'images' | 'registry'>> {
  let found;
  try {
    found = await findEngine(env);
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    return { engine: { problem: e.message ?? String(err), fix: e.hint } };
  }
  const { docker, where, how } = found;
  const [version, present, registry] = await Promise.all([
    docker.version().then((v) => v.Version).catch(() => undefined),
    presentFlavors(docker),
    registryProblem(docker),
  ]);
  const names = (flavor: 'official' | 'offline') => [...new Set(Object.values(baseImages(flavor, env)))];
  return {
    engine: { where, how, version },
    images: { ...present, officialNames: names('official'), offlineNames: names('offline') },
    registry: registry ?? 'reachable',
  };
}

async function haproxyFacts(path: string | undefined, problem: string | undefined): Promise<DoctorFacts['haproxy']> {
  if (!path) return { problem: problem ?? 'haproxy is not on PATH' };
  try {
    const { stdout } = await run(path, ['-v'], { timeout: 10_000 });
    return { path, version: stdout.split('\n')[0]!.trim() };
  } catch (err) {
    return { problem: `${path} -v failed (${(err as Error).message.split('\n')[0]})` };
  }
}

export async function gatherDoctorFacts(env: NodeJS.ProcessEnv = process.env): Promise<DoctorFacts> {
  const [engine, offlineBuild, tools] = await Promise.all([engineFacts(env), offlineBuildProblem(env), detectTools()]);
  const missing = [tsProxyEntry, replicaEntry].filter((f) => !existsSync(f));
  return {
    node: { version: process.version, range: nodeRange() },
    ...engine,
    offlineBuild,
    haproxy: await haproxyFacts(tools.haproxy.path, tools.haproxy.problem),
    flask: tools.python.path ? { python: tools.python.path, noWaitress: tools.python.noWaitress } : { problem: tools.python.problem ?? 'Flask does not import' },
    compiled: missing.length ? { problem: `${missing.join(', ')} missing` } : {},
  };
}
