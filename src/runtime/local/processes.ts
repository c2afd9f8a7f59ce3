/**
 * Child processes that outlive haplab: each is spawned detached (its own session and
 * process group, pgid = pid) with its output in a log file, so any later haplab process
 * can stop the whole group — the app and anything it forked — by pid alone.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../../errors.js';
import { groupMembers, hasProcfs, readEnviron, readStat } from './procfs.js';
import { ENV_RUN, type ProcessSpec } from './run-record.js';

/** Starts the process and writes its pid file; returns the pid (= its process group id). */
export function spawnDetached(spec: ProcessSpec, markers: Record<string, string>): number {
  mkdirSync(dirname(spec.log), { recursive: true });
  const out = openSync(spec.log, 'a');
  try {
    writeFileSync(out, `--- ${new Date().toISOString()} haplab starts: ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, ...markers },
      detached: true,
      stdio: ['ignore', out, out],
    });
    // A failed exec is reported asynchronously; without a listener it would crash haplab.
    child.on('error', () => undefined);
    if (child.pid === undefined) {
      throw new EnvironmentError(`cannot start ${spec.implementation} for ${spec.name} (${spec.command})`, 'check that the program exists and is executable');
    }
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** True while any member of the group runs (zombies do not count: they hold no port). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!hasProcfs) return true;
  return groupMembers(pgid).length > 0;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = hasProcfs ? readStat(pid) : undefined;
  return !hasProcfs || (stat !== undefined && stat.state !== 'Z');
}

/**
 * Whether `pid` is still the process a run started: after a reboot the number may belong
 * to someone else. Where /proc is missing there is no way to tell; the pid is trusted.
 */
export function belongsToRun(pid: number, runId: string): boolean {
  if (!hasProcfs) return true;
  const env = readEnviron(pid);
  if (env) return env.get(ENV_RUN) === runId;
  // Unreadable environ: a zombie, or a leader already gone whose group may live on.
  return groupMembers(pid).some((m) => readEnviron(m.pid)?.get(ENV_RUN) === runId);
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  // Never our own group: that would take haplab (and the test runner) down with the lab.
  if (pgid <= 1 || pgid === process.pid || pgid === ownPgid()) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

let cachedPgid: number | undefined;
function ownPgid(): number | undefined {
  if (cachedPgid === undefined && hasProcfs) cachedPgid = readStat(process.pid)?.pgid;
  return cachedPgid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGroupsGone(pgids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pgids.filter(groupAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50);
    alive = alive.filter(groupAlive);
  }
  return alive;
}

/**
 * SIGTERM each group (with SIGCONT, so a paused one can act on it), SIGKILL what is left
 * after the grace period, and wait until every group is gone.
 */
export async function stopGroups(pgids: readonly number[], graceMs: number): Promise<void> {
  const groups = [...new Set(pgids)].filter(groupAlive);
  for (const g of groups) {
    signalGroup(g, 'SIGTERM');
    signalGroup(g, 'SIGCONT');
  }
  const stubborn = await waitGroupsGone(groups, graceMs);
  for (const g of stubborn) signalGroup(g, 'SIGKILL');
  const survivors = await waitGroupsGone(stubborn, 5_000);
  if (survivors.length > 0) {
    throw new EnvironmentError(`process group(s) ${survivors.join(', ')} survived SIGKILL`, 'they may belong to another user; check with ps -o pid,pgid,user,cmd');
  }
}
