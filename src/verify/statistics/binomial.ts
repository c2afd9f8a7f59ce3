/**
 * Exact binomial tails, tests and tolerances: "the fast server's share is above 1/N",
 * "about 1/N of the keys moved". Tails come from the incomplete beta, so they are exact
 * (no normal approximation) and keep their precision far out in the tail.
 */
import { betaI, betaIComplement } from './beta.js';
import { logGamma } from './gamma.js';

function checkNp(n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a whole number ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  checkNp(n, p);
  if (!Number.isInteger(k) || k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  const logC = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X ≤ k). */
export function binomialCdf(k: number, n: number, p: number): number {
  checkNp(n, p);
  if (k < 0) return 0;
  if (k >= n) return 1;
  const kk = Math.floor(k);
  if (p === 0) return 1;
  if (p === 1) return 0;
  return betaIComplement(kk + 1, n - kk, p);
}

/** P(X ≥ k). */
export function binomialSf(k: number, n: number, p: number): number {
  checkNp(n, p);
  if (k <= 0) return 1;
  if (k > n) return 0;
  const kk = Math.ceil(k);
  if (p === 0) return 0;
  if (p === 1) return 1;
  return betaI(kk, n - kk + 1, p);
}

/** One-sided exact test of H0: share ≤ p0 against share > p0; the p-value P(X ≥ k | p0). */
export function binomialTestGreater(k: number, n: number, p0: number): number {
  return binomialSf(k, n, p0);
}

/** One-sided exact test of H0: share ≥ p0 against share < p0; the p-value P(X ≤ k | p0). */
export function binomialTestLess(k: number, n: number, p0: number): number {
  return binomialCdf(k, n, p0);
}

/**
 * Two-sided exact test of H0: share = p0, the p-value being the probability of every
 * outcome no more likely than the one observed (as R's binom.test, same 1e-7 slack).
 */
export function binomialTestTwoSided(k: number, n: number, p0: number): number {
  checkNp(n, p0);
  if (p0 === 0) return k === 0 ? 1 : 0;
  if (p0 === 1) return k === n ? 1 : 0;
  const d = binomialPmf(k, n, p0) * (1 + 1e-7);
  const m = n * p0;
  if (k === m) return 1;
  if (k < m) {
    let y = 0;
    for (let i = Math.ceil(m); i <= n; i++) if (binomialPmf(i, n, p0) <= d) y++;
    return Math.min(1, binomialCdf(k, n, p0) + binomialSf(n - y + 1, n, p0));
  }
  let y = 0;
  for (let i = 0; i <= Math.floor(m); i++) if (binomialPmf(i, n, p0) <= d) y++;
  return Math.min(1, binomialCdf(y - 1, n, p0) + binomialSf(k, n, p0));
}

/**
 * The counts a correct system produces with probability ≥ 1 − alpha: [lo, hi] with
 * P(X < lo) ≤ alpha/2 and P(X > hi) ≤ alpha/2, each bound as tight as the discreteness allows.
 */
export function binomialAcceptance(n: number, p: number, alpha: number): { lo: number; hi: number } {
  checkNp(n, p);
  // lo: the smallest k whose lower tail P(X ≤ k) exceeds alpha/2.
  let a = 0;
  let b = n;
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (binomialCdf(mid, n, p) > alpha / 2) b = mid;
    else a = mid + 1;
  }
  const lo = a;
  // hi: the largest k whose upper tail P(X ≥ k) exceeds alpha/2.
  a = 0;
  b = n;
  while (a < b) {
    const mid = Math.ceil((a + b) / 2);
    if (binomialSf(mid, n, p) > alpha / 2) a = mid;
    else b = mid - 1;
  }
  return { lo, hi: a };
}

/** The smallest k with P(X ≥ k | p0) ≤ alpha: the one-sided test rejects from there on. */
export function binomialCriticalGreater(n: number, p0: number, alpha: number): number {
  let a = 0;
  let b = n + 1;
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (binomialSf(mid, n, p0) <= alpha) b = mid;
    else a = mid + 1;
  }
  return a;
}

/**
 * The smallest n at which the one-sided exact test of share ≤ p0 at level alpha rejects with
 * probability ≥ power when the true share is p1 (> p0). Exact power, scanned upward: the
 * power of an exact test is saw-toothed in n, so the first n that reaches it is returned.
 */
export function binomialSampleSize(p0: number, p1: number, options: { alpha: number; power: number }): number {
  if (!(p1 > p0)) throw new RangeError(`the alternative share ${p1} must exceed ${p0}`);
  for (let n = 1; n <= 1_000_000; n++) {
    const k = binomialCriticalGreater(n, p0, options.alpha);
    if (k <= n && binomialSf(k, n, p1) >= options.power) return n;
  }
  throw new RangeError('no sample size up to 1e6 reaches the requested power');
}
