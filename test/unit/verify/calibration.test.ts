/**
 * The statistical promise of docs/verification.md, checked by simulation: at the sample size that
 * requiredSampleSize computes, a correct weighted-random balancer raises a false alarm at
 * most α = 1 % of the time, and a balancer with one server's share skewed by 20 % (the worst
 * case: the server and direction requiredSampleSize names) is caught at least 95 % of the time.
 *
 * Seeds are fixed (chosen before the first run, never tuned), so the test is deterministic.
 * What is asserted, and why not "≤ 2 of 200" literally: the test is built to have false-alarm
 * rate α and power 0.95 exactly on the promise, so the count of alarms in 200 runs falls on
 * either side of 2 (or 190) by chance — P(≤ 2 of 200 | 1 %) is only 0.68. A literal bound
 * would pass or fail by the choice of seed. So:
 *  - the simulations assert that the observed counts are not significantly worse than the
 *    promise (one-sided exact binomial at level 0.001: false for any seed with prob. < 0.1 %),
 *    and print the literal rates;
 *  - the exact multinomial distribution (enumerated, no sampling) proves the promise itself:
 *    power ≥ 0.95 against every one-server 20 % skew, size equal to 1 % up to the discreteness
 *    of counts.
 */
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/verify/rng.js';
import {
  binomialTestGreater, binomialTestLess, chiSquareTest, requiredSampleSize, skewedProbs,
} from '../../../src/verify/statistics.js';

const RUNS = 200;
const ALPHA = 0.01;

/** One simulated verification: n requests to a balancer choosing with `truth`, judged against `model`. */
function alarms(rng: Rng, n: number, truth: readonly number[], model: readonly number[]): boolean {
  const counts = truth.map(() => 0);
  for (let i = 0; i < n; i++) counts[rng.weighted(truth)]!++;
  return chiSquareTest(counts, model).pValue < ALPHA;
}

describe.each([
  { weights: [1, 1, 1] },
  { weights: [2, 1, 3] },
])('random balancer, weights $weights', ({ weights }) => {
  const size = requiredSampleSize(weights);

  it(`false alarms ≤ 1 % over ${RUNS} runs of a correct balancer`, () => {
    const rng = createRng(`calibration:${weights.join('/')}:null`);
    let falseAlarms = 0;
    for (let r = 0; r < RUNS; r++) if (alarms(rng, size.n, weights, weights)) falseAlarms++;
    console.log(`weights ${weights.join('/')}: n = ${size.n}, false alarms ${falseAlarms}/${RUNS}`);
    expect(binomialTestGreater(falseAlarms, RUNS, ALPHA)).toBeGreaterThan(0.001);
  });

  it(`catches a 20 % skew ≥ 95 % of ${RUNS} runs`, () => {
    const rng = createRng(`calibration:${weights.join('/')}:skew`);
    const truth = skewedProbs(weights, size.worstCase, size.worstDirection * 0.2);
    let caught = 0;
    for (let r = 0; r < RUNS; r++) if (alarms(rng, size.n, truth, weights)) caught++;
    console.log(`weights ${weights.join('/')}: n = ${size.n}, skew on #${size.worstCase} ×${1 + size.worstDirection * 0.2}, caught ${caught}/${RUNS}`);
    expect(binomialTestLess(caught, RUNS, 0.95)).toBeGreaterThan(0.001);
  });

  it('exact enumeration: power ≥ 0.95 against every one-server 20 % skew, size 1 %', () => {
    const p = weights.map((w) => w / weights.reduce((a, b) => a + b, 0));
    const size0 = exactRejection(size.n, p, p);
    console.log(`weights ${weights.join('/')}: exact size at n = ${size.n}: ${size0}`);
    expect(Math.abs(size0 - ALPHA)).toBeLessThan(1e-4);
    for (let i = 0; i < 3; i++) for (const dir of [1, -1]) {
      const power = exactRejection(size.n, p, skewedProbs(weights, i, dir * 0.2));
      expect(power, `server #${i} ×${1 + dir * 0.2}`).toBeGreaterThanOrEqual(0.95);
    }
  });
});

/** P(Pearson X² > critical) when n counts fall in 3 cells with probabilities q, summed exactly over all outcomes. */
function exactRejection(n: number, p: readonly number[], q: readonly number[]): number {
  const critical = requiredSampleSize([1, 1, 1]).critical; // df 2 at α = 0.01
  const logFact = [0];
  for (let i = 1; i <= n; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  const lq = q.map(Math.log);
  const e = p.map((pi) => n * pi);
  let total = 0;
  for (let a = 0; a <= n; a++) {
    const xa = (a - e[0]!) ** 2 / e[0]!;
    for (let b = 0; a + b <= n; b++) {
      const c = n - a - b;
      const x2 = xa + (b - e[1]!) ** 2 / e[1]! + (c - e[2]!) ** 2 / e[2]!;
      if (x2 > critical) total += Math.exp(logFact[n]! - logFact[a]! - logFact[b]! - logFact[c]! + a * lq[0]! + b * lq[1]! + c * lq[2]!);
    }
  }
  return total;
}
