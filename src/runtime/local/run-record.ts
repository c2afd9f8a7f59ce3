/**
 * The record of one local run: every process haplab starts for a lab, how to start it
 * again, and the pid it got. Written twice, always together: to the lab directory
 * (`<dir>/.haplab/local/run.json`) and to the user's registry (one file per lab
 * directory), so `down DIR` works from the directory and `down --all` works even when the
 * directory is gone. The registry file is written before anything is spawned.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '../../errors.js';
import type { Endpoint, LabInstance } from '../types.js';
import type { LabSpec } from '../../lab-schema/types.js';
import { STATE_DIR } from '../state.js';

/** What a listening port must do to count as ready. */
export type ReadyProbe =
  /** an app: any HTTP answer */
  | 'http-any'
  /** an HTTP frontend: an answer that is not the proxy's own 5xx (a backend or a rule answered) */
  | 'http-frontend'
  /** a TCP frontend: the connection is accepted */
  | 'tcp'
  /** not waited for (the stats listener) */
  | 'none';

export interface ProcessSpec {
  /** Unique in the run: `app-<name>` or `proxy-<haproxy|tsproxy>`. */
  id: string;
  role: 'app' | 'proxy';
  /** The app's name, or the proxy role it plays (haproxy / ts). */
  name: string;
  /** Said in notes and errors: "Flask", "Node replica", "HAProxy", "TypeScript proxy". */
  implementation: string;
  command: string;
  args: string[];
  cwd: string;
  /** Added to haplab's own environment. */
  env: Record<string, string>;
  log: string;
  pidFile: string;
  listens: { port: number; ready: ReadyProbe }[];
}

export interface ProcessRecord extends ProcessSpec {
  /** Set right after spawn; it is also the process group id (spawned detached). */
  pid?: number;
  /** Stopped or paused on purpose (Runtime.disrupt): not a failure of the lab. */
  disrupted?: 'stop' | 'pause';
}

export interface LocalRun {
  version: 1;
  runId: string;
  lab: string;
  /** Absolute lab directory. */
  dir: string;
  createdAt: string;
  /** The registry this run is listed in (also in each process's environment). */
  registryDir: string;
  phase: 'starting' | 'running';
  spec: LabSpec;
  processes: ProcessRecord[];
  endpoints: Endpoint[];
  stats: LabInstance['stats'];
  /** Absent in records written before the proxy's config was recorded. */
  proxyConfigs?: LabInstance['proxyConfigs'];
  notes: string[];
}

/** Environment markers every process of a run carries, so it can be found by /proc scan. */
export const ENV_RUN = 'HAPLAB_LOCAL_RUN';
export const ENV_REGISTRY = 'HAPLAB_LOCAL_REGISTRY';
export const ENV_DIR = 'HAPLAB_LOCAL_DIR';

export function localDir(dir: string): string {
  return join(dir, STATE_DIR, 'local');
}

export function runFileInLab(dir: string): string {
  return join(localDir(dir), 'run.json');
}

export function registryFile(registryDir: string, dir: string): string {
  return join(registryDir, `${createHash('sha256').update(dir).digest('hex').slice(0, 20)}.json`);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

/** Registry first: if haplab dies between the two writes, down --all still finds the run. */
export async function saveRun(run: LocalRun): Promise<void> {
  const text = `${JSON.stringify(run, null, 2)}\n`;
  try {
    await writeAtomic(registryFile(run.registryDir, run.dir), text);
  } catch (err) {
    throw new EnvironmentError(
      `cannot write the local runtime's registry in ${run.registryDir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      'make that directory writable, or point XDG_STATE_HOME at a writable one',
    );
  }
  await writeAtomic(runFileInLab(run.dir), text).catch(() => undefined);
}

export async function forgetRun(run: Pick<LocalRun, 'registryDir' | 'dir' | 'runId'>): Promise<void> {
  for (const file of [registryFile(run.registryDir, run.dir), runFileInLab(run.dir)]) {
    const current = await readRun(file);
    // Only our own run: a newer `up` of the same directory keeps its record.
    if (!current || current.runId === run.runId) await rm(file, { force: true });
  }
}

export async function readRun(file: string): Promise<LocalRun | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return isLocalRun(parsed) ? parsed : undefined;
  } catch {
    // Missing, or cut short by a crash mid-write (the temp file, never the record itself).
    return undefined;
  }
}

function isLocalRun(value: unknown): value is LocalRun {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.version === 1 && typeof v.runId === 'string' && typeof v.dir === 'string' && Array.isArray(v.processes);
}

/** Every run listed in a registry. */
export async function registeredRuns(registryDir: string): Promise<LocalRun[]> {
  let names: string[];
  try {
    names = await readdir(registryDir);
  } catch {
    return [];
  }
  const runs = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readRun(join(registryDir, n))));
  return runs.filter((r): r is LocalRun => r !== undefined);
}

/** The runs that may hold processes for `dir`: its own record and the registry's (they differ after a crash). */
export async function runsOfDir(registryDir: string, dir: string): Promise<LocalRun[]> {
  const found = [await readRun(runFileInLab(dir)), await readRun(registryFile(registryDir, dir))];
  const byId = new Map<string, LocalRun>();
  for (const run of found) if (run) byId.set(run.runId, run);
  return [...byId.values()];
}
