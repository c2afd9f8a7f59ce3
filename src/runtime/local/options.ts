/** What a caller (mostly tests) may change about the local runtime; the CLI uses the defaults. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LocalRuntimeOptions {
  /** Run haplab's Node replicas of the Flask apps even where Flask imports. */
  preferReplicas?: boolean;
  /** Run haplab's TypeScript proxy in HAProxy's place even where `haproxy` is on PATH. */
  preferTsProxy?: boolean;
  /**
   * Where the registry of running local labs lives (one file per lab directory). Default
   * `$XDG_STATE_HOME/haplab/local`, else `~/.local/state/haplab/local`.
   */
  registryDir?: string;
  /** How long `up` waits for every port to answer. Default 30 s. */
  readyTimeoutMs?: number;
  /** How long `down` waits after SIGTERM before SIGKILL. Default 3 s. */
  stopGraceMs?: number;
}

export interface ResolvedLocalOptions {
  preferReplicas: boolean;
  preferTsProxy: boolean;
  registryDir: string;
  readyTimeoutMs: number;
  stopGraceMs: number;
}

export function defaultRegistryDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'haplab', 'local');
}

export function resolveLocalOptions(options: LocalRuntimeOptions = {}): ResolvedLocalOptions {
  return {
    preferReplicas: options.preferReplicas ?? false,
    preferTsProxy: options.preferTsProxy ?? false,
    registryDir: options.registryDir ?? defaultRegistryDir(),
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    stopGraceMs: options.stopGraceMs ?? 3_000,
  };
}
