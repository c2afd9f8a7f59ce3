/**
 * Starting and stopping one local run. Start: apps first, each recorded the moment it is
 * spawned, then the proxies once every app answers. Stop: every process group the run
 * may own — by recorded pid, by pid file, and by /proc scan for its environment marker —
 * is terminated, and haplab waits until the groups are gone and the ports free.
 */
import { readFile, rm } from 'node:fs/promises';
import { EnvironmentError } from '../../errors.js';
import { readLabState, removeLabState } from '../state.js';
import { waitPortsFree } from './ports.js';
import { findByEnviron, hasProcfs } from './procfs.js';
import { belongsToRun, groupAlive, spawnDetached, stopGroups } from './processes.js';
import { proxySockets } from './plan.js';
import { waitReady } from './readiness.js';
import { ENV_DIR, ENV_REGISTRY, ENV_RUN, forgetRun, saveRun, type LocalRun, type ProcessRecord } from './run-record.js';

export function markersOf(run: LocalRun): Record<string, string> {
  return { [ENV_RUN]: run.runId, [ENV_REGISTRY]: run.registryDir, [ENV_DIR]: run.dir };
}

/** Spawns one process of the run and records its pid at once (registry first). */
export async function spawnRecorded(run: LocalRun, proc: ProcessRecord): Promise<void> {
  proc.pid = spawnDetached(proc, markersOf(run));
  delete proc.disrupted;
  await saveRun(run);
}

export interface StartHooks {
  signal?: AbortSignal;
  onStep?: (step: string) => void;
  readyTimeoutMs: number;
}

/** Starts every process of a run that is already saved; on any failure the caller stops the run. */
export async function startRun(run: LocalRun, hooks: StartHooks): Promise<void> {
  const deadline = Date.now() + hooks.readyTimeoutMs;
  for (const role of ['app', 'proxy'] as const) {
    const group = run.processes.filter((p) => p.role === role);
    for (const proc of group) {
      if (hooks.signal?.aborted) break;
      await spawnRecorded(run, proc);
      hooks.onStep?.(`started ${proc.implementation} for ${proc.name} (pid ${proc.pid})`);
    }
    await Promise.all(group.map((proc) => waitReady(proc, deadline, hooks.signal)));
    hooks.onStep?.(`${role === 'app' ? 'apps' : 'proxies'} answer`);
  }
  run.phase = 'running';
  await saveRun(run);
}

/** True while every process the run should have (not disrupted on purpose) is alive. */
export function runAlive(run: LocalRun): boolean {
  return run.processes.every((p) => p.disrupted === 'stop' || (p.pid !== undefined && groupAlive(p.pid)));
}

async function pidFromFile(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** What stopping needs of a run: also all that is known of one found only in /proc. */
export type RunRef = Pick<LocalRun, 'runId' | 'dir' | 'registryDir' | 'processes'>;

export interface RunGroups {
  /** Process groups to stop. */
  groups: number[];
  /** Ports that were (or may have been) listened on by those groups: wait for them after. */
  ports: number[];
}

/**
 * Every process group that may belong to the run, checked against its marker where /proc
 * allows, and the ports they may hold. Processes never spawned hold nothing and are left
 * out, so a stale run's port since taken by another program is not waited for.
 */
export async function groupsOfRun(run: RunRef, only?: ProcessRecord): Promise<RunGroups> {
  const groups = new Set<number>();
  const ports = new Set<number>();
  const procs = only ? [only] : run.processes;
  const recorded = new Set<number>();
  for (const proc of procs) {
    const pids = [proc.pid, await pidFromFile(proc.pidFile)].filter((p): p is number => p !== undefined);
    for (const pid of pids) recorded.add(pid);
    const mine = pids.filter((pid) => belongsToRun(pid, run.runId));
    for (const pid of mine) groups.add(pid);
    if (mine.length > 0) for (const l of proc.listens) ports.add(l.port);
  }
  // Spawned but never recorded (haplab killed in between): found by the marker alone.
  if (hasProcfs && !only) {
    const unrecorded = findByEnviron((env) => env.get(ENV_RUN) === run.runId).filter((p) => !recorded.has(p.pgid));
    for (const p of unrecorded) groups.add(p.pgid);
    if (unrecorded.length > 0) for (const proc of procs) if (proc.pid === undefined) for (const l of proc.listens) ports.add(l.port);
  }
  return { groups: [...groups], ports: [...ports] };
}

/** Waits for `ports` to be released by the processes just stopped. */
export async function requirePortsFree(ports: number[]): Promise<void> {
  const held = await waitPortsFree(ports, 5_000);
  if (held.length > 0) {
    throw new EnvironmentError(`port(s) ${held.join(', ')} on 127.0.0.1 are still held after the lab's processes ended`, 'another program may have taken them; check with ss -ltnp');
  }
}

/**
 * Stops one process (or all) of the run: its groups gone, its ports free. The whole run is
 * scanned again after each round: a process forked by an `up` killed mid-spawn shows its
 * marker only once it has exec'd, a moment after the first scan may have looked.
 */
export async function stopProcesses(run: RunRef, graceMs: number, only?: ProcessRecord): Promise<void> {
  const ports = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const found = await groupsOfRun(run, only);
    for (const p of found.ports) ports.add(p);
    const alive = found.groups.filter(groupAlive);
    if (alive.length === 0 && round > 0) break;
    await stopGroups(alive, graceMs);
    if (only || !hasProcfs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await requirePortsFree([...ports]);
}

/** Stops everything of the run and forgets it (records, pid files, state). */
export async function stopRun(run: RunRef, graceMs: number): Promise<void> {
  await stopProcesses(run, graceMs);
  for (const proc of run.processes) await rm(proc.pidFile, { force: true });
  // A run found only in /proc without its directory marker has no records to clear.
  if (!run.dir) return;
  // The proxies' sockets may live outside the lab's directory (plan.ts socketPathOf).
  for (const role of ['haproxy', 'ts'] as const) {
    const sockets = proxySockets(run.dir, role);
    for (const path of [sockets.stats, `${sockets.stats}.1`, sockets.admin]) await rm(path, { force: true });
  }
  await forgetRun(run);
  const state = await readLabState(run.dir).catch(() => undefined);
  if (state?.runtime === 'local') await removeLabState(run.dir, run.runId).catch(() => undefined);
}
