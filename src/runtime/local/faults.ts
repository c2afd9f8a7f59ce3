/**
 * Fault injection for failover checks: stop an app (SIGTERM its group; resume starts it
 * again on the same port) or pause it (SIGSTOP / SIGCONT: the port stays open but nothing
 * answers, as with a hung server).
 */
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HEALTH_FLAG_FILE } from '../../lab-schema/types.js';
import type { LabInstance } from '../types.js';
import { BadInputError, EnvironmentError } from '../../errors.js';
import { spawnRecorded, stopProcesses } from './lifecycle.js';
import type { ResolvedLocalOptions } from './options.js';
import { groupMembers, hasProcfs } from './procfs.js';
import { signalGroup } from './processes.js';
import { waitReady } from './readiness.js';
import { runsOfDir, saveRun, type LocalRun, type ProcessRecord } from './run-record.js';

/**
 * Signals land asynchronously (a running task stops when the kernel next schedules it):
 * wait until every member of the group shows the wanted state, so the caller's next
 * request meets a paused (or running again) app.
 */
async function settle(pgid: number, paused: boolean): Promise<void> {
  if (!hasProcfs) return;
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline && !groupMembers(pgid).every((m) => (m.state === 'T') === paused)) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function appOf(options: ResolvedLocalOptions, dir: string, app: string): Promise<{ run: LocalRun; proc: ProcessRecord }> {
  const run = (await runsOfDir(options.registryDir, resolve(dir))).find((r) => r.phase === 'running');
  if (!run) throw new EnvironmentError(`lab ${dir} is not running on the local runtime`, 'run haplab up first');
  const proc = run.processes.find((p) => p.role === 'app' && p.name === app);
  if (!proc) throw new BadInputError(`lab ${run.lab} has no app ${JSON.stringify(app)}`, {}, `apps: ${run.processes.filter((p) => p.role === 'app').map((p) => p.name).join(', ')}`);
  return { run, proc };
}

export async function disruptApp(options: ResolvedLocalOptions, dir: string, app: string, how: 'stop' | 'pause'): Promise<void> {
  const { run, proc } = await appOf(options, dir, app);
  if (proc.disrupted) return;
  if (how === 'pause') {
    if (proc.pid !== undefined) {
      signalGroup(proc.pid, 'SIGSTOP');
      await settle(proc.pid, true);
    }
  } else {
    await stopProcesses(run, options.stopGraceMs, proc);
  }
  proc.disrupted = how;
  await saveRun(run);
}

export async function resumeApp(options: ResolvedLocalOptions, dir: string, app: string, how: 'stop' | 'pause'): Promise<void> {
  const { run, proc } = await appOf(options, dir, app);
  if (how === 'pause') {
    if (proc.pid !== undefined) {
      signalGroup(proc.pid, 'SIGCONT');
      await settle(proc.pid, false);
    }
    delete proc.disrupted;
    await saveRun(run);
    return;
  }
  if (proc.disrupted !== 'stop') return;
  await spawnRecorded(run, proc);
  await waitReady(proc, Date.now() + options.readyTimeoutMs);
}

/** ep11: the app's health route fails while its flag file exists (apps run from the lab's apps/NAME). */
export async function setHealthFlag(instance: LabInstance, app: string, healthy: boolean): Promise<void> {
  if (!instance.spec.apps.some((a) => a.name === app)) throw new BadInputError(`lab ${instance.lab} has no app ${JSON.stringify(app)}`);
  const flag = join(instance.dir, 'apps', app, HEALTH_FLAG_FILE);
  if (healthy) await rm(flag, { force: true });
  else await writeFile(flag, 'the health route answers 503 while this file exists\n');
}
