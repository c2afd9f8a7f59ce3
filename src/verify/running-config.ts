/**
 * The haproxy.cfg a running proxy reads, found through the runtime (LabInstance.proxyConfigs,
 * never a runtime's path layout), and how it differs from the config lab.yaml renders.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseConfig } from '../proxy/config/index.js';
import { renderHaproxyCfg } from '../render/haproxy-cfg.js';
import type { LabInstance } from '../runtime/types.js';
import { normalizeSpec } from '../lab-schema/normalize.js';
import type { LabSpec, ProxyKind } from '../lab-schema/types.js';
import { configDrift, driftNote, type ParsedConfig } from './config-drift.js';
import type { ConfigDriftReport, RunningConfig } from './report/types.js';

export function runningConfigFile(instance: LabInstance, proxy: ProxyKind): string | undefined {
  return instance.proxyConfigs.find((c) => c.proxy === proxy)?.file;
}

export const RENDERED_CONFIG = 'haproxy.cfg rendered from lab.yaml';

export function renderedConfig(spec: LabSpec): ParsedConfig {
  const text = renderHaproxyCfg(normalizeSpec(spec));
  return { text, config: parseConfig(text, { file: RENDERED_CONFIG, env: {} }) };
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface ProxyConfigRead {
  drift: Map<ProxyKind, ConfigDriftReport>;
  /** The text each proxy runs, for the report (a saved report shows what ran). */
  configs: Map<ProxyKind, RunningConfig>;
}

/** Per proxy that names its config: its text, and the differences from lab.yaml (none: the file says what lab.yaml says). */
export async function readConfigDrift(instance: LabInstance, proxies: readonly ProxyKind[]): Promise<ProxyConfigRead> {
  const out = new Map<ProxyKind, ConfigDriftReport>();
  const configs = new Map<ProxyKind, RunningConfig>();
  for (const proxy of proxies) {
    const file = runningConfigFile(instance, proxy);
    if (!file) continue;
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch (err) {
      out.set(proxy, { file, differences: [], error: `cannot read it (${(err as NodeJS.ErrnoException).code ?? why(err)})` });
      continue;
    }
    configs.set(proxy, { file, text });
    try {
      out.set(proxy, { file, differences: configDrift({ text, config: parseConfig(text, { file }) }, renderedConfig(instance.spec)) });
    } catch (err) {
      out.set(proxy, { file, differences: [], error: why(err) });
    }
  }
  return { drift: out, configs };
}

/** One note per proxy whose config differs from lab.yaml, or could not be compared. */
export function configDriftNotes(instance: LabInstance, drift: ReadonlyMap<ProxyKind, ConfigDriftReport>): string[] {
  return [...drift].flatMap(([proxy, d]) => {
    const name = `${proxy === 'ts' ? "the TypeScript proxy's" : "HAProxy's"} haproxy.cfg (${relative(instance.dir, d.file) || d.file})`;
    if (d.error) return [`${name} could not be compared with lab.yaml: ${d.error}`];
    return d.differences.length ? [driftNote(name, d.differences)] : [];
  });
}
