/** Runs bench/micro/select.ts in a child process and reads its JSON. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MicroOutput } from '../micro/select.js';
import { run } from './procs.js';
import type { Paths } from './targets.js';

export type MicroResult = MicroOutput | { unavailable: string };

export async function runMicro(paths: Paths, sizes: number[], runs: number, picks: number): Promise<MicroResult> {
  const balancer = join(paths.root, 'dist/src/proxy/balance/index.js');
  if (!existsSync(balancer)) return { unavailable: 'dist/src/proxy/balance/index.js is not built yet' };
  const r = await run('micro', process.execPath, [join(paths.benchDist, 'micro/select.js'), '--sizes', sizes.join(','), '--runs', String(runs), '--picks', String(picks)], 120_000);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as MicroOutput;
  } catch {
    return { unavailable: `micro-benchmark failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
}
