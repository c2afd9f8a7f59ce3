/**
 * Student's t tail and Welch's two-sample t-test, used on batch means (see peak-load
 * comparison): batching turns an autocorrelated load series into nearly independent means.
 */
import { betaI } from './beta.js';

/** P(T > t) for T ~ Student's t with df degrees of freedom (df may be fractional). */
export function studentTSf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be > 0, got ${df}`);
  if (t === 0) return 0.5;
  // The far tail straight from the incomplete beta, so that small p-values stay exact.
  const tail = 0.5 * betaI(df / 2, 0.5, df / (df + t * t));
  return t > 0 ? tail : 1 - tail;
}

/** P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  return studentTSf(-t, df);
}

export interface WelchResult {
  t: number;
  df: number;
  /** One-sided p-value of H0: mean(a) ≥ mean(b) against mean(a) < mean(b). */
  pLess: number;
  meanA: number;
  meanB: number;
}

function meanVar(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) * (x - mean), 0) / (xs.length - 1);
  return { mean, variance };
}

/** Welch's t-test (unequal variances), one-sided: is mean(a) below mean(b)? */
export function welchTestLess(a: readonly number[], b: readonly number[]): WelchResult {
  if (a.length < 2 || b.length < 2) throw new RangeError('each sample needs at least 2 values');
  const A = meanVar(a);
  const B = meanVar(b);
  const va = A.variance / a.length;
  const vb = B.variance / b.length;
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    const pLess = A.mean < B.mean ? 0 : 1;
    return { t: A.mean < B.mean ? -Infinity : A.mean > B.mean ? Infinity : 0, df: a.length + b.length - 2, pLess, meanA: A.mean, meanB: B.mean };
  }
  const t = (A.mean - B.mean) / se;
  const df = (va + vb) ** 2 / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
  return { t, df, pLess: studentTCdf(t, df), meanA: A.mean, meanB: B.mean };
}
