/**
 * The two-sample chi-square homogeneity test: its statistic by hand, empty categories and unequal
 * sizes, rejection at about α under the null, and the power and sample size it computes (seeded).
 */
import { describe, expect, it } from 'vitest';
import { chiSquareHomogeneity, homogeneityPower, homogeneitySampleSize, skewedProbs } from '../../../src/verify/statistics.js';
import { createRng } from '../../../src/verify/rng.js';

function draw(n: number, p: readonly number[], rng: ReturnType<typeof createRng>): number[] {
  const counts = p.map(() => 0);
  for (let i = 0; i < n; i++) counts[rng.weighted(p)]!++;
  return counts;
}

describe('chi-square test of homogeneity (two samples)', () => {
  it('computes the statistic from pooled expectations (by hand: 2 × 3 table)', () => {
    // Column totals 30, 40, 50 over two rows of 60: expected 15, 20, 25 in each row.
    const r = chiSquareHomogeneity([10, 20, 30], [20, 20, 20]);
    expect(r.statistic).toBeCloseTo(2 * (25 / 15 + 25 / 25), 12);
    expect(r.df).toBe(2);
    // With 2 degrees of freedom the tail is exp(−x/2).
    expect(r.pValue).toBeCloseTo(Math.exp(-r.statistic / 2), 12);
  });

  it('leaves out categories empty in both samples, and handles unequal sample sizes', () => {
    expect(chiSquareHomogeneity([10, 0, 30], [5, 0, 15])).toEqual({ statistic: 0, df: 1, pValue: 1 });
    expect(() => chiSquareHomogeneity([1, 2], [1])).toThrow(RangeError);
  });

  it('rejects at about α when both samples come from one distribution (seeded)', () => {
    const rng = createRng('homogeneity-null');
    const p = [0.5, 0.3, 0.2];
    let rejected = 0;
    const runs = 2000;
    for (let r = 0; r < runs; r++) if (chiSquareHomogeneity(draw(300, p, rng), draw(300, p, rng)).pValue < 0.05) rejected++;
    // 100 expected; a binomial(2000, 0.05) lies within ±30 of it with probability > 0.997.
    expect(Math.abs(rejected - 100)).toBeLessThan(30);
  });

  it('has the power it computes, and the sample size is the least that reaches it (seeded)', () => {
    const p = [5 / 9, 3 / 9, 1 / 9];
    const q = skewedProbs(p, 0, 0.2);
    const n = homogeneitySampleSize(p, [q], 0.01, 0.8);
    expect(homogeneityPower(n, p, q, 0.01)).toBeGreaterThanOrEqual(0.8);
    expect(homogeneityPower(n - 1, p, q, 0.01)).toBeLessThan(0.8);
    const rng = createRng('homogeneity-power');
    let rejected = 0;
    const runs = 600;
    for (let r = 0; r < runs; r++) if (chiSquareHomogeneity(draw(n, p, rng), draw(n, q, rng)).pValue < 0.01) rejected++;
    // Power 0.8 gives 480 of 600 (sd ≈ 10); the noncentral approximation is good to a few %.
    expect(rejected / runs).toBeGreaterThan(0.74);
    expect(rejected / runs).toBeLessThan(0.87);
  });
});
