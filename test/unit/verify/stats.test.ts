/**
 * The statistics under the checks agree with reference values (mpmath, scipy): logGamma, chi-square
 * and noncentral chi-square tails, goodness of fit and the binomial tests and sample sizes.
 */
import { describe, expect, it } from 'vitest';
import {
  binomialAcceptance, binomialCdf, binomialSampleSize, binomialSf, binomialTestTwoSided,
  chiSquareCdf, chiSquareCritical, chiSquareSf, chiSquareTest, gammaP, gammaQ, logGamma,
  noncentralChiSquareCdf, noncentralChiSquareSf, requiredSampleSize, studentTSf, skewedProbs,
} from '../../../src/verify/statistics.js';

/** |a − b| ≤ rel · |b|: relative accuracy, the only honest measure in the tails. */
function close(actual: number, expected: number, rel = 1e-10): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  expect(err, `${actual} vs ${expected} (rel err ${err})`).toBeLessThanOrEqual(rel);
}

describe('logGamma', () => {
  it('matches factorials and Γ(1/2)', () => {
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-14);
    close(Math.exp(logGamma(11)), 3628800, 1e-13);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
    close(logGamma(171), 706.5730622457874, 1e-14);
  });
});

describe('chi-square tail probabilities (reference values from mpmath, 30 digits)', () => {
  const cases: [number, number, number][] = [
    [3.841458820694124, 1, 0.050000000000000057435],
    [9.210340371976184, 2, 0.0099999999999999956585],
    [100, 2, 1.928749847963917783e-22],
    [50, 1, 1.5374597944280348502e-12],
    [200, 1, 2.088487583762544757e-45],
    [500, 7, 8.0167910013493019674e-104],
    [1000, 3, 1.7994208765314476631e-216],
    [30, 17.5, 0.031519726896181576056],
  ];
  it.each(cases)('sf(%d, df %d)', (x, df, sf) => close(chiSquareSf(x, df), sf));
  it('lower tails far out', () => {
    close(chiSquareCdf(1e-6, 10), 2.6041655815974541479e-34);
    close(chiSquareCdf(0.5, 30), 5.6345587204509911957e-22);
    close(chiSquareCdf(30, 17.5), 0.96848027310381842394);
  });
  it('P + Q = 1 across the series/continued-fraction switch', () => {
    for (const a of [0.5, 1, 3.7, 20, 150]) for (const x of [0.1, a, a + 1, a + 1.0001, 3 * a]) {
      expect(Math.abs(gammaP(a, x) + gammaQ(a, x) - 1)).toBeLessThan(1e-13);
    }
  });
  it('critical values invert the tail', () => {
    close(chiSquareCritical(0.05, 1), 3.841458820694124, 1e-12);
    close(chiSquareCritical(0.01, 2), 9.21034037197618, 1e-12);
    close(chiSquareCritical(0.01, 5), 15.08627246938899, 1e-12);
    close(chiSquareSf(chiSquareCritical(1e-9, 3), 3), 1e-9, 1e-10);
  });
});

describe('noncentral chi-square (reference values from scipy.stats.ncx2)', () => {
  const cases: [number, number, number, number][] = [
    [10, 2, 5, 0.7686915506598637],
    [9.21034, 2, 20, 0.057748571290744746],
    [3, 4, 1, 0.3313812640871811],
    [50, 5, 30, 0.8983419738998142],
  ];
  it.each(cases)('cdf(%d; df %d, λ %d)', (x, df, lambda, cdf) => {
    close(noncentralChiSquareCdf(x, df, lambda), cdf, 1e-9);
    close(noncentralChiSquareSf(x, df, lambda), 1 - cdf, 1e-9);
  });
  it('λ = 0 is the central distribution', () => {
    close(noncentralChiSquareSf(9.210340371976184, 2, 0), 0.01, 1e-12);
  });
});

describe('goodness of fit', () => {
  it('computes Pearson statistic, df and p-value', () => {
    const r = chiSquareTest([30, 50, 20], [1, 1, 1]);
    close(r.statistic, (100 / 3 - 30) ** 2 / (100 / 3) + (50 - 100 / 3) ** 2 / (100 / 3) + (20 - 100 / 3) ** 2 / (100 / 3), 1e-14);
    expect(r.df).toBe(2);
    close(r.pValue, Math.exp(-r.statistic / 2), 1e-12);
  });
  it('a count where the model says none is impossible: p = 0', () => {
    expect(chiSquareTest([5, 5, 1], [1, 1, 0]).pValue).toBe(0);
  });
});

describe('binomial', () => {
  it('matches scipy', () => {
    close(binomialCdf(30, 100, 0.4), 0.02478282311649308, 1e-10);
    close(binomialSf(60, 100, 0.5), 0.028443966820490444, 1e-10);
    close(binomialTestTwoSided(60, 100, 0.5), 0.05688793364098089, 1e-9);
    close(binomialTestTwoSided(7, 20, 0.2), 0.09822172861346881, 1e-9);
  });
  it('acceptance bounds hold their tail promises', () => {
    const { lo, hi } = binomialAcceptance(1000, 1 / 3, 0.01);
    expect(binomialCdf(lo - 1, 1000, 1 / 3)).toBeLessThanOrEqual(0.005);
    expect(binomialCdf(lo, 1000, 1 / 3)).toBeGreaterThan(0.005);
    expect(binomialSf(hi + 1, 1000, 1 / 3)).toBeLessThanOrEqual(0.005);
    expect(binomialSf(hi, 1000, 1 / 3)).toBeGreaterThan(0.005);
  });
  it('sample size for a one-sided test reaches the power', () => {
    const n = binomialSampleSize(1 / 3, 2 / 3, { alpha: 0.01, power: 0.95 });
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThan(60);
  });
});

describe('Student t', () => {
  it('matches scipy', () => close(studentTSf(2.1, 7.3), 0.0361233567124267, 1e-9));
});

describe('requiredSampleSize', () => {
  it('3 equal servers: 1067 (the textbook noncentral approximation says 1033, too few)', () => {
    const s = requiredSampleSize([1, 1, 1]);
    close(s.lambda, 20.649918860138097, 1e-8);
    expect(s.approximateN).toBe(Math.ceil(20.649918860138097 / 0.02));
    expect(s.n).toBe(1067);
    expect(s.worstDirection).toBe(1);
    expect(s.achievedPower).toBeGreaterThanOrEqual(0.95);
  });
  it('weights 2/1/3: 2723, the lightest server (1/6) skewed upward is the worst case', () => {
    const s = requiredSampleSize([2, 1, 3]);
    expect(s.worstCase).toBe(1);
    expect(s.worstDirection).toBe(1);
    expect(s.approximateN).toBe(Math.ceil(20.649918860138097 / 0.008));
    expect(s.n).toBe(2723);
  });
  it('is the smallest n: one fewer misses the power', async () => {
    const { chiSquareTestPower } = await import('../../../src/verify/statistics/power.js');
    const p = [1 / 3, 1 / 3, 1 / 3];
    expect(chiSquareTestPower(1066, p, skewedProbs(p, 0, 0.2), 0.01)).toBeLessThan(0.95);
    expect(chiSquareTestPower(1067, p, skewedProbs(p, 0, 0.2), 0.01)).toBeGreaterThanOrEqual(0.95);
  });
  it('skewed shares sum to 1 and multiply one share by 1 + skew', () => {
    const q = skewedProbs([2, 1, 3], 1, 0.2);
    close(q.reduce((a, b) => a + b, 0), 1, 1e-15);
    close(q[1]!, 0.2, 1e-14);
  });
});

describe('power against a specific alternative (alternative covariance, Imhof)', async () => {
  const { chiSquareTestPower } = await import('../../../src/verify/statistics/power.js');
  it('under the null it is the size α', () => {
    close(chiSquareTestPower(1000, [1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3], 0.01), 0.01, 1e-6);
    close(chiSquareTestPower(300, [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], 0.05), 0.05, 1e-6);
  });
  it('matches mpmath quadosc of the same integral (scipy for the 2/1/3 case)', () => {
    close(chiSquareTestPower(1033, [1 / 3, 1 / 3, 1 / 3], skewedProbs([1, 1, 1], 0, 0.2), 0.01), 0.94236878897895275, 1e-9);
    close(chiSquareTestPower(2582, [2 / 6, 1 / 6, 3 / 6], skewedProbs([2, 1, 3], 1, -0.2), 0.01), 0.9642524300370587, 1e-6);
    close(chiSquareTestPower(275, [0.3, 0.35, 0.35], skewedProbs([0.3, 0.35, 0.35], 0, 0.2), 0.005), 0.19160977350732864, 1e-6);
    close(chiSquareTestPower(500, [0.25, 0.25, 0.25, 0.25], skewedProbs([1, 1, 1, 1], 2, -0.2), 0.01), 0.3262148063107502, 1e-6);
  });
  it('two servers: exact binomial power', () => {
    close(chiSquareTestPower(100, [0.5, 0.5], [0.6, 0.4], 0.01), 0.3068126484831626, 1e-10);
  });
});
