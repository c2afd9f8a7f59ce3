/**
 * Times `haplab check ep09` per runtime, once the CLI has a `check` command (another
 * engineer is writing it): until then, and when a runtime is missing, the result says
 * why instead of a number. Each run is bounded by a timeout.
 */
import { existsSync } from 'node:fs';
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
    const r = await run(`check ${runtime}`, process.execPath, [paths.haplabCli, 'check', 'ep09', '--runtime', runtime], timeoutS * 1000, { cwd: paths.root });
    const seconds = r.ms / 1000;
    const note = r.timedOut ? `timed out after ${timeoutS} s` : r.code === 0 ? undefined : `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`;
    out.push({ runtime, seconds, exitCode: r.code, note });
  }
  return out;
}
