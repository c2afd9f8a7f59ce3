/**
 * Runs a parser on fuzzed input in a worker thread, so that an input that makes it loop
 * forever is caught by a time bound (a synchronous hang in the test's own thread would
 * stop the timers that could report it). How fast a parse was is its CPU time, not its wall
 * time: the contract is about the parser's own work (no exponential backtracking, no alias
 * blow-up), and the suite runs niced beside the labs, where a parse of 100 ms of CPU has
 * taken 2.4 s of wall time (CI). The hang bound is wall time and generous: a parser stuck
 * in a loop never answers at all. The parser is bundled from the TypeScript
 * sources with esbuild, which vitest already brings along through vite.
 */
import { buildSync } from 'esbuild';
import { expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How one parse ended; `summary` is whatever the entry reports about an accepted model. */
export type Outcome =
  | { kind: 'model'; ms: number; summary: unknown }
  | { kind: 'bad-input'; ms: number; line: number | undefined; message: string }
  | { kind: 'other'; ms: number; message: string }
  | { kind: 'hang'; ms: number };

/** However loaded the machine, a parse that has not answered in this long is stuck. */
const HANG_WALL_MS = 30_000;

/**
 * `entry` is TypeScript (imports relative to the repository root) defining
 * `function parse(text: string): unknown` — it returns a summary of the model or throws.
 */
export class Sandbox {
  private worker: Worker;
  private readonly code: string;

  /** `withinMs`: how fast a parse must be (the contract); a slower one is timed again, see run(). */
  constructor(
    entry: string,
    private readonly withinMs = Infinity,
  ) {
    const harness = `
import { parentPort } from 'node:worker_threads';
import { BadInputError } from './src/errors.js';
${entry}
parentPort!.on('message', (text: string) => {
  // CPU time of the process: its main thread only waits for this answer meanwhile.
  const started = process.cpuUsage();
  const cpuMs = () => { const used = process.cpuUsage(started); return (used.user + used.system) / 1000; };
  try {
    const summary = parse(text);
    parentPort!.postMessage({ kind: 'model', ms: cpuMs(), summary });
  } catch (err) {
    const ms = cpuMs();
    if (err instanceof BadInputError) parentPort!.postMessage({ kind: 'bad-input', ms, line: err.where.line, message: err.oneLine() });
    else parentPort!.postMessage({ kind: 'other', ms, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
`;
    const built = buildSync({
      stdin: { contents: harness, resolveDir: ROOT, loader: 'ts', sourcefile: 'fuzz-entry.ts' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    this.code = built.outputFiles[0]!.text;
    this.worker = this.spawn();
  }

  private pending?: { resolve(o: Outcome): void; reject(err: Error): void; timer: NodeJS.Timeout };

  private spawn(): Worker {
    const worker = new Worker(this.code, { eval: true });
    worker.unref();
    worker.on('message', (outcome: Outcome) => this.settle((p) => p.resolve(outcome)));
    worker.on('error', (err) => this.settle((p) => p.reject(err)));
    return worker;
  }

  private settle(how: (p: NonNullable<Sandbox['pending']>) => void): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    how(p);
  }

  /**
   * Parses `text`; a parse that has not answered after `timeoutMs` of wall time (at least
   * HANG_WALL_MS) is a hang. A hang, or a parse costing more than `withinMs` of CPU, is tried
   * again — up to ATTEMPTS in all — and the fastest kept: input that is really slow (a
   * loop, a backtracking regex) is slow every time.
   */
  async run(text: string, timeoutMs = HANG_WALL_MS, withinMs = this.withinMs): Promise<Outcome> {
    let best: Outcome | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const o = await this.runOnce(text, Math.max(timeoutMs, HANG_WALL_MS));
      if (!best || rank(o) < rank(best)) best = o;
      if (o.kind !== 'hang' && o.ms < withinMs) break;
    }
    return best!;
  }

  /** One parse; after `timeoutMs` it is a hang and the worker is replaced. */
  private runOnce(text: string, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        void this.worker.terminate();
        this.worker = this.spawn();
        resolve({ kind: 'hang', ms: timeoutMs });
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.worker.postMessage(text);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

const ATTEMPTS = 3;

/** Orders outcomes by how fast they came: a hang is the slowest. */
function rank(o: Outcome): number {
  return o.kind === 'hang' ? Infinity : o.ms;
}

/** Lines of `text` as the parsers count them (1-based, '\n' separated). */
export function lineCount(text: string): number {
  return text.split('\n').length;
}

/** The contract for any input: a model, or bad input on one of its lines; quickly. */
export function expectWellBehaved(text: string, o: Outcome, maxMs: number): void {
  if (o.kind === 'other' || o.kind === 'hang') throw new Error(`${o.kind}: ${'message' in o ? o.message : ''}`);
  if (o.kind === 'bad-input') {
    expect(o.line, o.message).toBeDefined();
    expect(o.line!, o.message).toBeGreaterThanOrEqual(1);
    expect(o.line!, o.message).toBeLessThanOrEqual(lineCount(text));
  }
  expect(o.ms).toBeLessThan(maxMs);
}
