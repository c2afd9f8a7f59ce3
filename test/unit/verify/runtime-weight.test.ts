/**
 * The weight changed at run time (src/verify/models/runtime-weight.ts), the one schedule
 * that tells roundrobin from static-rr and leastconn on servers that answer alike. Two ways
 * it once passed a lab switched to leastconn, each pinned here: HAProxy frees a stream after
 * its response has left, so the verifier's next command can be applied first and leastconn
 * queue its servers in another order (the change planned must part from every such order);
 * and a request lost just before the change left no phase to plan from, and the skip passed
 * the lab (the phase is now measured again, and the check fails when it never fits).
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import { primaryBackend, type BackendSpec } from '../../../src/lab-schema/types.js';
import { balancerOracle } from '../../../src/verify/balance-oracle.js';
import { weightRivals } from '../../../src/verify/candidates/weight-change.js';
import { replaySteps, type BalancerFactory } from '../../../src/verify/candidates/simulate.js';
import { planWeightChange, plannedOutcomes, type WeightChangePlan } from '../../../src/verify/models/runtime-weight.js';
import { matchingPhases } from '../../../src/verify/models/rotation.js';
import { spec } from './fakes.js';
import { judge } from './real-balancing.js';

const oracle = balancerOracle(createBalancer);
const make: BalancerFactory = oracle.balancer!.bind(oracle);
const KEY = { sourceAddress: '127.0.0.1', uri: '/' };
const keys = (n: number) => Array.from({ length: n }, () => KEY);

function backendOf(balance: string, weights: number[]): BackendSpec {
  return { name: 'servers', balance, servers: weights.map((weight, i) => ({ name: `server${i + 1}`, app: `app${i + 1}`, weight, check: true })) } as BackendSpec;
}

/** Every sequence `backend` can give from `position` picks in through `plan`, under every release timing. */
const outcomes = (backend: BackendSpec, position: number, plan: WeightChangePlan): string[] => plannedOutcomes(make, backend, position, plan);

/** Each phase of roundrobin on `weights`: the positions the two cycles just before fit, and those cycles. */
function phasesOf(weights: number[]): { before: string[]; positions: number[] }[] {
  const rr = backendOf('roundrobin', weights);
  const w = weights.reduce((a, b) => a + b, 0);
  const sequence = replaySteps(make, rr, keys(8 * w).map((pick) => ({ pick }))) as string[];
  return Array.from({ length: 3 * w }, (_, p) => {
    const before = sequence.slice(p, p + 2 * w);
    return { before, positions: matchingPhases(sequence, before, 3 * w).map((o) => o + before.length) };
  });
}

describe('the weight change planned', () => {
  it('leastconn, whose queue follows when each stream is freed, gives several orders after a change; a rotation one', () => {
    const plan = { server: 'server1', from: 1, to: 2, during: 1, after: 6 };
    expect(outcomes(backendOf('roundrobin', [1, 1, 1]), 6, plan)).toHaveLength(1);
    expect(outcomes(backendOf('leastconn', [1, 1, 1]), 6, plan).length).toBeGreaterThan(1);
  });

  it("on ep05's equal weights, the smallest change that moves fwrr is one leastconn can follow exactly", () => {
    // What the planner chose before it knew the rivals: one request with a weight raised.
    const rr = backendOf('roundrobin', [1, 1, 1]);
    const lc = backendOf('leastconn', [1, 1, 1]);
    let coinciding = 0;
    for (const { positions } of phasesOf([1, 1, 1])) {
      const plan = planWeightChange(make, rr, positions)!;
      const mine = new Set(positions.flatMap((p) => outcomes(rr, p, plan)));
      if (positions.some((p) => outcomes(lc, p, plan).some((o) => mine.has(o)))) coinciding++;
    }
    expect(coinciding).toBe(9);
  });

  for (const weights of [[1, 1], [1, 1, 1], [2, 1, 3], [2, 1], [1, 1, 1, 1], [2, 2, 1], [5, 1]]) {
    it(`roundrobin ${weights.join('/')}: from every phase, the change parts from every rival under every release timing`, () => {
      const rr = backendOf('roundrobin', weights);
      for (const { before, positions } of phasesOf(weights)) {
        const rivals = weightRivals(make, rr, 'http', before);
        // On equal weights leastconn, sequentially, rotates as roundrobin does.
        if (new Set(weights).size === 1) expect(rivals.map((r) => r.label)).toContain('leastconn');
        const plan = planWeightChange(make, rr, positions, rivals)!;
        expect(plan).toBeDefined();
        const mine = new Set(positions.flatMap((p) => outcomes(rr, p, plan)));
        for (const r of rivals) {
          for (const p of r.positions) expect(outcomes(r.backend, p, plan).filter((o) => mine.has(o)), `${r.label} from ${p}: ${JSON.stringify(plan)}`).toEqual([]);
        }
      }
    });
  }
});

describe('ep05 on a fake proxy with the real balancers, judged as `haplab check` does', () => {
  it('as configured, with every command applied before the last stream is freed: passes', async () => {
    const lab = await spec('ep05');
    const report = await judge(lab, primaryBackend(lab), '11', { commandsBeforeRelease: true });
    expect(report.verdict, JSON.stringify(report.checks.map((c) => [c.name, c.pass, c.detail]))).toBe('pass');
    expect(report.checks.find((c) => c.name === 'rr.runtime-weight')).toMatchObject({ pass: true });
  });

  it('switched to leastconn, with every command applied before the last stream is freed: rr.runtime-weight fails, and leastconn is named', async () => {
    const lab = await spec('ep05');
    const leastconn = { ...primaryBackend(lab), balance: 'leastconn' } as BackendSpec;
    for (const seed of ['11', '12', '13', '14', '15', '16']) {
      const report = await judge(lab, leastconn, seed, { commandsBeforeRelease: true });
      const weight = report.checks.find((c) => c.name === 'rr.runtime-weight')!;
      expect(report.verdict, `seed ${seed}: ${weight.detail}`).toBe('fail');
      expect(weight.pass).toBe(false);
      expect(weight.skipped).toBeUndefined();
      expect(report.checks.find((c) => c.name === 'balance.candidates')!.detail).toMatch(/what fits: [^·]*\bleastconn\b/);
    }
  });

  it('a request lost just before the change: the phase is measured again, and roundrobin passes', async () => {
    const lab = await spec('ep05');
    // Batch 1 is the rotation, batch 2 the two cycles just before the change.
    const report = await judge(lab, primaryBackend(lab), '11', { lose: (batch, index) => batch === 2 && index === 0 });
    expect(report.verdict, JSON.stringify(report.checks.map((c) => [c.name, c.pass, c.detail]))).toBe('pass');
    expect(report.checks.find((c) => c.name === 'rr.runtime-weight')).toMatchObject({ pass: true });
  });

  it('a request lost just before the change on a lab switched to leastconn: still caught, not skipped', async () => {
    const lab = await spec('ep05');
    const leastconn = { ...primaryBackend(lab), balance: 'leastconn' } as BackendSpec;
    const report = await judge(lab, leastconn, '11', { lose: (batch, index) => batch === 2 && index === 0 });
    expect(report.verdict).toBe('fail');
    const weight = report.checks.find((c) => c.name === 'rr.runtime-weight')!;
    expect(weight.pass).toBe(false);
    expect(weight.skipped).toBeUndefined();
  });

  it('the phase never fits (every request just before the change lost): rr.runtime-weight fails rather than skips', async () => {
    const lab = await spec('ep05');
    const report = await judge(lab, primaryBackend(lab), '11', { lose: (batch) => batch >= 2 });
    const weight = report.checks.find((c) => c.name === 'rr.runtime-weight')!;
    expect(weight).toMatchObject({ pass: false, observed: 'no weight change made' });
    expect(weight.skipped).toBeUndefined();
    expect(weight.detail).toMatch(/did not follow its order just before the change, in 3 tries \(the last: \? \? \? \? \? \?\).*cannot be told from static-rr or leastconn/);
    expect(report.verdict).toBe('fail');
  });
});
