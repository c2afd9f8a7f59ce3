/**
 * Times `haplab check ep09` per runtime, once the CLI has a `check` command (another
 * engineer is writing it): until then, and when a runtime is missing, the result says
 * why instead of a number. Each run is bounded by a timeout.
 */
import { existsSync } from 'node:fs';

/**
 * Labs on Docker use fixed host ports, so runs that start them take this lock (flock(1))
 * on a shared machine; the bench waits a little for it, then reports the check as skipped.
 */
const DOCKER_LOCK = '/tmp/haplab-docker.lock';
const FLOCK = '/usr/bin/flock';
const LOCK_WAIT_S = 20;
/** flock's exit code when the lock stayed busy (-E). */
const LOCK_BUSY = 75;
import { run } from './procs.js';
import type { Paths } from './targets.js';

export interface CheckTiming {
  runtime: 'local' | 'docker';
  seconds?: number;
  exitCode?: number | null;
  /** "n/a: …", "timed out", or "exit N" when the check did not pass. */
  note?: string;
}

export async function timeChecks(paths: Paths, timeoutS: number, log: (l: string) => void): Promise<CheckTiming[]> {
  const runtimes = ['local', 'docker'] as const;
  if (!existsSync(paths.haplabCli)) return runtimes.map((runtime) => ({ runtime, note: 'n/a: dist/src/cli/main.js not built' }));
  const help = await run('haplab --help', process.execPath, [paths.haplabCli, '--help'], 15_000, { cwd: paths.root });
  if (!/^\s+check\b/m.test(help.stdout + help.stderr)) return runtimes.map((runtime) => ({ runtime, note: 'n/a: no `haplab check` command yet' }));
  const out: CheckTiming[] = [];
  for (const runtime of runtimes) {
    log(`  haplab check ep09 --runtime ${runtime} (≤ ${timeoutS} s)`);
    const check = [process.execPath, paths.haplabCli, 'check', 'ep09', '--runtime', runtime];
    const locked = runtime === 'docker' && existsSync(DOCKER_LOCK) && existsSync(FLOCK);
    const [cmd, ...args] = locked ? [FLOCK, '-w', String(LOCK_WAIT_S), '-E', String(LOCK_BUSY), DOCKER_LOCK, ...check] : check;
    const r = await run(`check ${runtime}`, cmd!, args, (timeoutS + (locked ? LOCK_WAIT_S : 0)) * 1000, { cwd: paths.root });
    if (locked && r.code === LOCK_BUSY) {
      out.push({ runtime, note: `n/a: ${DOCKER_LOCK} stayed busy for ${LOCK_WAIT_S} s (another Docker lab run)` });
      continue;
    }
    const seconds = r.ms / 1000;
    const note = r.timedOut ? `timed out after ${timeoutS} s` : r.code === 0 ? undefined : `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`;
    out.push({ runtime, seconds, exitCode: r.code, note });
  }
  return out;
}
