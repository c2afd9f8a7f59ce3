/**
 * Chi-square: exact tail probabilities (through the incomplete gamma), the quantile that
 * gives the critical value at α, Pearson's goodness-of-fit test, and the noncentral
 * distribution that gives the test's power against a named alternative.
 */
import { gammaP, gammaQ, logGamma } from './gamma.js';

/** P(X > x) for X ~ χ²(df): the p-value of a statistic x. */
export function chiSquareSf(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** P(X ≤ x) for X ~ χ²(df). */
export function chiSquareCdf(x: number, df: number): number {
  if (x <= 0) return 0;
  return gammaP(df / 2, x / 2);
}

/** The density of χ²(df) at x. */
export function chiSquarePdf(x: number, df: number): number {
  if (x < 0) return 0;
  if (x === 0) return df === 2 ? 0.5 : df < 2 ? Infinity : 0;
  const k = df / 2;
  return Math.exp((k - 1) * Math.log(x) - x / 2 - k * Math.LN2 - logGamma(k));
}

/**
 * The critical value c with P(X > c) = alpha: the test rejects when the statistic exceeds it.
 * Newton's method on the upper tail inside a bisection bracket, so it cannot wander off.
 */
export function chiSquareCritical(alpha: number, df: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  let lo = 0;
  let hi = Math.max(1, df);
  while (chiSquareSf(hi, df) > alpha) hi *= 2;
  let x = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const f = chiSquareSf(x, df) - alpha;
    if (f > 0) lo = x;
    else hi = x;
    const pdf = chiSquarePdf(x, df);
    let next = pdf > 0 && Number.isFinite(pdf) ? x + f / pdf : (lo + hi) / 2;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, x)) return next;
    x = next;
  }
  return x;
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
  /** Expected counts per cell (n · p). */
  expected: number[];
}

/**
 * Pearson's goodness-of-fit test of observed counts against expected probabilities.
 * Cells with probability 0 do not count towards df; a count in such a cell is impossible
 * under the model, so the statistic is infinite and the p-value 0.
 */
export function chiSquareTest(observed: readonly number[], probs: readonly number[]): ChiSquareResult {
  if (observed.length !== probs.length) throw new RangeError('observed and probs differ in length');
  const total = probs.reduce((s, p) => s + p, 0);
  if (!(total > 0)) throw new RangeError('expected probabilities sum to 0');
  const n = observed.reduce((s, o) => s + o, 0);
  const expected = probs.map((p) => (n * p) / total);
  let statistic = 0;
  let cells = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    const o = observed[i]!;
    if (e === 0) {
      if (o > 0) statistic = Infinity;
      continue;
    }
    cells++;
    statistic += ((o - e) * (o - e)) / e;
  }
  const df = Math.max(1, cells - 1);
  const pValue = statistic === Infinity ? 0 : chiSquareSf(statistic, df);
  return { statistic, df, pValue, expected };
}

/**
 * Σ_j Poisson(j; λ/2) · tail(df/2 + j): the noncentral χ² as a Poisson mixture of central
 * ones, summed outward from the Poisson mode so that every weight is computed without
 * underflow, until the weights left out are below 1e-18 of the mass.
 */
function poissonMixture(lambda: number, tail: (a: number) => number, df: number): number {
  const mu = lambda / 2;
  const mode = Math.floor(mu);
  const logW0 = -mu + (mode > 0 ? mode * Math.log(mu) : 0) - logGamma(mode + 1);
  const w0 = Math.exp(logW0);
  let sum = w0 * tail(df / 2 + mode);
  let w = w0;
  for (let j = mode + 1; j < mode + 100_000; j++) {
    w *= mu / j;
    sum += w * tail(df / 2 + j);
    if (w < 1e-18) break;
  }
  w = w0;
  for (let j = mode - 1; j >= 0; j--) {
    w *= (j + 1) / mu;
    sum += w * tail(df / 2 + j);
    if (w < 1e-18) break;
  }
  return sum;
}

/** P(X ≤ x) for X ~ noncentral χ²(df, λ). */
export function noncentralChiSquareCdf(x: number, df: number, lambda: number): number {
  if (lambda < 0) throw new RangeError(`noncentrality must be ≥ 0, got ${lambda}`);
  if (x <= 0) return 0;
  if (lambda === 0) return chiSquareCdf(x, df);
  return Math.min(1, poissonMixture(lambda, (a) => gammaP(a, x / 2), df));
}

/** P(X > x) for X ~ noncentral χ²(df, λ): the power of a test with critical value x. */
export function noncentralChiSquareSf(x: number, df: number, lambda: number): number {
  if (lambda < 0) throw new RangeError(`noncentrality must be ≥ 0, got ${lambda}`);
  if (x <= 0) return 1;
  if (lambda === 0) return chiSquareSf(x, df);
  return Math.min(1, poissonMixture(lambda, (a) => gammaQ(a, x / 2), df));
}
