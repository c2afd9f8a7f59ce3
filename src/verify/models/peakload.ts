/**
 * Power of two choices against plain random (ep08's second claim): under the same concurrent
 * load, random(2) keeps the busiest server less busy than random(1). The model sends the same load
 * to the lab's random(2) frontend and to its random(1) twin; this judges the two response streams.
 *
 * The measure: at each request's send time, the largest client-side in-flight count over the
 * servers (how loaded the busiest server is when a new request arrives). Its successive
 * values are autocorrelated, so each run is cut into batches of consecutive requests and the
 * batch means — close to independent — are compared with Welch's one-sided t-test: the check
 * passes when random(2)'s mean is significantly lower at α. Absolute peaks go in the detail.
 *
 * Each algorithm's load goes in two runs, in the order random(2), random(1), random(1),
 * random(2) (PEAK_ORDER): a machine that grows busier or quieter during the comparison
 * weighs on both alike. With one run each, ep08 on Docker gave p = 1.5e-5 to 3e-4 on a quiet
 * machine against α = 0.0017, and a CI run (beside another lab and a test suite) missed α
 * once; with two runs each (20 batch means), 2e-9 to 1e-7 quiet and 6e-9 / 7e-8 beside
 * ep07's check and a busy core.
 */
import type { BackendSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { fmtP, inFlightAtSends, serverSequence } from '../observe.js';
import type { Check } from '../report/types.js';
import type { Batch } from './types.js';
import { welchTestLess } from '../statistics.js';

/** Batches per run: 10 of 60 requests, so each batch mean averages many arrivals. */
export const PEAK_BATCHES = 10;
/** Clients in parallel for the comparison: as many as ep06 uses, several per server. */
export const PEAK_CLIENTS = 12;
/** Requests per run. */
export const PEAK_REQUESTS = 600;
/** Which load each run sends, in order: 'two' the frontend under test, 'one' its plain twin. */
export const PEAK_ORDER = ['two', 'one', 'one', 'two'] as const;

/** The batch sent to each of the two frontends (random(2), then random(1)): the same shape for both. */
export function planPeakLoad(frontend: string, requests = PEAK_REQUESTS, path = '/'): Batch {
  return {
    label: `${PEAK_CLIENTS} concurrent clients`,
    frontend,
    probes: Array.from({ length: requests }, () => ({ method: 'GET', path, connection: 'fresh' as const })),
    options: { concurrency: PEAK_CLIENTS },
  };
}

export interface LoadRun {
  /** What ran, said in the check: "random(2)", "random(1)". */
  label: string;
  /** Its runs' responses, one array per run (in-flight counts do not carry from one run to the next). */
  runs: readonly (readonly ProbeResponse[])[];
}

/** The busiest server's in-flight count at each send, in send order. */
export function busiestLoad(backend: BackendSpec, responses: readonly ProbeResponse[]): number[] {
  return inFlightAtSends(serverSequence(backend, responses), responses).map(({ load }) => Math.max(0, ...load.values()));
}

function batchMeans(xs: readonly number[], batches: number): number[] {
  const size = Math.floor(xs.length / batches);
  return Array.from({ length: batches }, (_, b) => {
    const part = xs.slice(b * size, (b + 1) * size);
    return part.reduce((s, x) => s + x, 0) / part.length;
  });
}

export function comparePeakLoad(backend: BackendSpec, twoChoices: LoadRun, plain: LoadRun, alpha: number): Check {
  const name = `random.peak-load: ${twoChoices.label} vs ${plain.label}`;
  const a = twoChoices.runs.map((run) => busiestLoad(backend, run));
  const b = plain.runs.map((run) => busiestLoad(backend, run));
  const expected = `${twoChoices.label}'s busiest server less loaded than ${plain.label}'s (Welch one-sided, α = ${alpha.toPrecision(3)})`;
  const short = [...a, ...b].find((run) => run.length < 2 * PEAK_BATCHES);
  if (short || a.length === 0 || b.length === 0) {
    return { name, expected, observed: `runs of ${a.map((r) => r.length).join('/')} and ${b.map((r) => r.length).join('/')} requests`, pass: false, detail: `each run needs at least ${2 * PEAK_BATCHES} requests` };
  }
  const means = (runs: number[][]) => runs.flatMap((run) => batchMeans(run, PEAK_BATCHES));
  const test = welchTestLess(means(a), means(b));
  const peak = (runs: number[][]) => Math.max(...runs.flat());
  return {
    name,
    expected,
    observed: `mean busiest in-flight ${test.meanA.toFixed(2)} vs ${test.meanB.toFixed(2)}; peaks ${peak(a)} vs ${peak(b)}`,
    statistic: test.t,
    pValue: test.pLess,
    pass: test.pLess < alpha,
    detail: `t = ${test.t.toFixed(2)}, df ${test.df.toFixed(1)}, p = ${fmtP(test.pLess)} over ${PEAK_BATCHES} batch means per run, ${a.length} and ${b.length} runs`,
  };
}
