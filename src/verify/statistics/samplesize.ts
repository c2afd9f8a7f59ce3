/**
 * How many requests a goodness-of-fit check needs: computed, not guessed (docs/verification.md).
 *
 * Skew, precisely: the alternative the check must catch takes ONE server i and multiplies
 * its expected share p_i by (1 + s) or by (1 − s), rescaling every other server's share by
 * the same factor so that the shares still sum to 1:
 *     q_i = p_i (1 ± s),   q_j = p_j (1 − q_i) / (1 − p_i)   for j ≠ i.
 * The check must catch EVERY such alternative with the requested power, so n is set by the
 * worst case over the server and the direction. (To first order the effect is Cohen's
 * w² = s² p_i / (1 − p_i), smallest for the lightest server, same for both directions; the
 * exact power is lower for the upward skew of the lightest server, which is what sets n.)
 *
 * Method: a first n from the textbook noncentral χ²(k − 1, n w²) approximation, then the
 * smallest n whose power, computed with the alternative's own covariance (stats/power.ts),
 * reaches the target for every server and direction.
 */
import { chiSquareCritical, noncentralChiSquareSf } from './chisq.js';
import { chiSquareTestPower } from './power.js';

export interface SampleSizeOptions {
  /** Significance level: the false-alarm rate of the test. Default 0.01. */
  alpha?: number;
  /** Probability of catching the skew. Default 0.95. */
  power?: number;
  /** Relative change of one server's share to catch (0.2 = ×1.2). Default 0.2. */
  skew?: number;
}

export const DEFAULT_ALPHA = 0.01;
export const DEFAULT_POWER = 0.95;
export const DEFAULT_SKEW = 0.2;

export interface SampleSize {
  /** Requests needed. 0 when there is nothing to test (fewer than two servers). */
  n: number;
  df: number;
  alpha: number;
  power: number;
  skew: number;
  /** Critical value of the statistic at alpha. */
  critical: number;
  /** Noncentrality needed to reach the power. */
  lambda: number;
  /** The worst case: index (into expectedProbs) of the skewed server, and the direction. */
  worstCase: number;
  worstDirection: 1 | -1;
  /** Cohen's w² of the lightest server (the first-order effect). */
  effect: number;
  /** The power reached at n against the worst case (≥ power). */
  achievedPower: number;
  /** n by the textbook noncentral approximation alone, for comparison. */
  approximateN: number;
}

/** Cohen's w² when server i's share is multiplied by (1 + skew) and the others rescaled. */
export function skewEffect(probs: readonly number[], i: number, skew: number): number {
  const total = probs.reduce((s, p) => s + p, 0);
  const p = probs[i]! / total;
  return (skew * skew * p) / (1 - p);
}

/** The shares under the alternative "server i's share times (1 + skew)"; a negative skew shrinks it. */
export function skewedProbs(probs: readonly number[], i: number, skew: number): number[] {
  const total = probs.reduce((s, p) => s + p, 0);
  const p = probs.map((x) => x / total);
  const pi = p[i]!;
  const scale = (1 - pi * (1 + skew)) / (1 - pi);
  return p.map((x, j) => (j === i ? x * (1 + skew) : x * scale));
}

/** Every alternative the check must catch: each server with a positive share, each direction that is possible. */
function alternatives(probs: readonly number[], skew: number): { i: number; dir: 1 | -1; q: number[] }[] {
  const total = probs.reduce((s, p) => s + p, 0);
  const out: { i: number; dir: 1 | -1; q: number[] }[] = [];
  probs.forEach((p, i) => {
    if (!(p > 0)) return;
    for (const dir of [1, -1] as const) {
      const qi = (p / total) * (1 + dir * skew);
      if (qi > 0 && qi < 1) out.push({ i, dir, q: skewedProbs(probs, i, dir * skew) });
    }
  });
  return out;
}

/** The least power over all alternatives at n, and which alternative gives it. */
function worstPower(n: number, probs: readonly number[], skew: number, alpha: number): { power: number; i: number; dir: 1 | -1 } {
  let worst = { power: Infinity, i: 0, dir: 1 as 1 | -1 };
  for (const alt of alternatives(probs, skew)) {
    const power = chiSquareTestPower(n, probs, alt.q, alpha);
    if (power < worst.power) worst = { power, i: alt.i, dir: alt.dir };
  }
  return worst;
}

/** Power of the χ² test with critical value `critical` at noncentrality λ. */
export function chiSquarePower(critical: number, df: number, lambda: number): number {
  return noncentralChiSquareSf(critical, df, lambda);
}

/** The least noncentrality at which the test reaches `power`: bisection (power rises with λ). */
function lambdaFor(critical: number, df: number, power: number): number {
  let lo = 0;
  let hi = 1;
  while (chiSquarePower(critical, df, hi) < power) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquarePower(critical, df, mid) < power) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function requiredSampleSize(expectedProbs: readonly number[], options: SampleSizeOptions = {}): SampleSize {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const power = options.power ?? DEFAULT_POWER;
  const skew = options.skew ?? DEFAULT_SKEW;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > alpha && power < 1)) throw new RangeError(`power must be in (alpha, 1), got ${power}`);
  if (!(skew > 0 && skew < 1)) throw new RangeError(`skew must be in (0, 1), got ${skew}`);
  const positive = expectedProbs.map((p, i) => ({ p, i })).filter((c) => c.p > 0);
  const df = positive.length - 1;
  if (df < 1) {
    return {
      n: 0, df: 0, alpha, power, skew, critical: 0, lambda: 0, worstCase: positive[0]?.i ?? 0,
      worstDirection: 1, effect: 0, achievedPower: 0, approximateN: 0,
    };
  }
  const lightest = positive.reduce((a, b) => (b.p < a.p ? b : a));
  const effect = skewEffect(expectedProbs, lightest.i, skew);
  const critical = chiSquareCritical(alpha, df);
  const lambda = lambdaFor(critical, df, power);
  const approximateN = Math.ceil(lambda / effect);
  // The worst alternative barely moves with n: find it at the approximate n, search n for
  // it alone (power rises with n), then confirm against every alternative at the answer.
  let worst = worstPower(approximateN, expectedProbs, skew, alpha);
  let n = approximateN;
  for (let round = 0; round < 5; round++) {
    const q = skewedProbs(expectedProbs, worst.i, worst.dir * skew);
    const powerAtN = (m: number): number => chiSquareTestPower(m, expectedProbs, q, alpha);
    let lo = Math.max(1, Math.floor(n * 0.8));
    while (lo > 1 && powerAtN(lo) >= power) lo = Math.floor(lo / 2);
    let hi = Math.ceil(n * 1.1);
    while (powerAtN(hi) < power) hi *= 2;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (powerAtN(mid) >= power) hi = mid;
      else lo = mid;
    }
    n = hi;
    const check = worstPower(n, expectedProbs, skew, alpha);
    worst = check;
    if (check.power >= power) break;
  }
  return {
    n, df, alpha, power, skew, critical, lambda, worstCase: worst.i, worstDirection: worst.dir,
    effect, achievedPower: worst.power, approximateN,
  };
}

/** The power a χ² test of `n` requests has against the worst-case skew (said in reports when n was capped). */
export function powerAt(n: number, expectedProbs: readonly number[], options: SampleSizeOptions = {}): number {
  if (expectedProbs.filter((p) => p > 0).length < 2 || n <= 0) return 0;
  return worstPower(n, expectedProbs, options.skew ?? DEFAULT_SKEW, options.alpha ?? DEFAULT_ALPHA).power;
}
