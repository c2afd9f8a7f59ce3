/**
 * Pearson's χ² test of homogeneity for two samples: do two sets of per-category counts
 * (for example, how often each server was picked behind two proxies) come from the same
 * distribution? The p-value is the exact χ² tail (stats/chisq.ts); the power against two
 * named distributions uses the noncentral χ², whose noncentrality for samples of n each
 * is λ = n/2 · Σ (p_i − q_i)² / ((p_i + q_i)/2).
 */
import { chiSquareCritical, chiSquareSf, noncentralChiSquareSf } from './chisq.js';

export interface HomogeneityResult {
  statistic: number;
  df: number;
  pValue: number;
}

/** The test on counts a and b (same categories, same order); categories empty in both are left out. */
export function chiSquareHomogeneity(a: readonly number[], b: readonly number[]): HomogeneityResult {
  if (a.length !== b.length) throw new RangeError('a and b differ in length');
  const na = a.reduce((s, x) => s + x, 0);
  const nb = b.reduce((s, x) => s + x, 0);
  if (!(na > 0 && nb > 0)) throw new RangeError('both samples need at least one observation');
  let statistic = 0;
  let cells = 0;
  a.forEach((ai, i) => {
    const column = ai + b[i]!;
    if (column === 0) return;
    cells++;
    const ea = (na * column) / (na + nb);
    const eb = (nb * column) / (na + nb);
    statistic += (ai - ea) ** 2 / ea + (b[i]! - eb) ** 2 / eb;
  });
  const df = cells - 1;
  return { statistic, df, pValue: df < 1 ? 1 : chiSquareSf(statistic, df) };
}

/** Power of the level-alpha test with n observations in each sample, when they come from p and q. */
export function homogeneityPower(n: number, p: readonly number[], q: readonly number[], alpha: number): number {
  const tp = p.reduce((s, x) => s + x, 0);
  const tq = q.reduce((s, x) => s + x, 0);
  let lambda = 0;
  let cells = 0;
  p.forEach((pi, i) => {
    const a = pi / tp;
    const b = q[i]! / tq;
    if (a + b === 0) return;
    cells++;
    lambda += (a - b) ** 2 / ((a + b) / 2);
  });
  if (cells < 2) return 0;
  return noncentralChiSquareSf(chiSquareCritical(alpha, cells - 1), cells - 1, (n / 2) * lambda);
}

/** The least n per sample at which the test reaches `power` against every alternative in `qs`. */
export function homogeneitySampleSize(p: readonly number[], qs: readonly (readonly number[])[], alpha: number, power: number): number {
  const reached = (n: number) => qs.every((q) => homogeneityPower(n, p, q, alpha) >= power);
  let hi = 1;
  while (!reached(hi)) {
    hi *= 2;
    if (hi > 1e9) throw new RangeError('no sample size reaches that power: p and an alternative are equal');
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reached(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
