/**
 * The rate-limit model's parts alone: the facts simulated from ep12's spec by the proxy's
 * own stick tables, the staggered plan, and the judge on answers that are right, off by one,
 * never refused, or too slow to prove anything.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeResponse } from '../../../src/runtime/types.js';
import { byAddress, judgeIndependent, judgeSequences } from '../../../src/verify/models/rate-limit-judge.js';
import { rateLimitFacts, rateLimitSizes, simulateAddress, staggeredOrder } from '../../../src/verify/models/rate-limit-plan.js';
import { selectModels } from '../../../src/verify/model-selection.js';
import { normalizeSpec } from '../../../src/lab-schema/normalize.js';
import { spec as rawSpec } from './fakes.js';

const spec = async (id: string) => normalizeSpec(await rawSpec(id));

const ok = (t: number): ProbeResponse => ({ status: 200, servedBy: 'api', body: '', sentAtMs: t, doneAtMs: t + 1 });
const refused = (t: number): ProbeResponse => ({ status: 429, body: '', sentAtMs: t, doneAtMs: t + 1 });

describe('rate-limit plan', () => {
  it("reads ep12's limit and period by simulating its rules: 10 per 2 s, then 429", async () => {
    const ep12 = await spec('ep12');
    expect(rateLimitFacts(ep12, ep12.frontends[0]!)).toEqual({ periodMs: 2000, allowed: 10, status: 429 });
    expect(selectModels(ep12).models.map((m) => m.name)).toEqual(['ratelimit']);
  });

  it('a changed limit in the spec changes the facts (the oracle is the spec, simulated)', async () => {
    const ep12 = await spec('ep12');
    const f = { ...ep12.frontends[0]!, rules: ['http-request track-sc0 src', 'http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }'] };
    const changed = { ...ep12, frontends: [f] };
    expect(rateLimitFacts(changed, f)).toMatchObject({ allowed: 3 });
    expect(simulateAddress(changed, f, [0, 0, 0, 0, 4100])).toEqual(['ok', 'ok', 'ok', 429, 'ok']);
  });

  it('staggers addresses so later ones start while earlier ones are refused, each in its own order', () => {
    const order = staggeredOrder(3, 4, 2);
    expect(order).toHaveLength(12);
    for (let a = 0; a < 3; a++) expect(order.filter((p) => p.address === a).map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(order.findIndex((p) => p.address === 1)).toBeGreaterThan(order.findIndex((p) => p.address === 0 && p.index === 1));
    expect(rateLimitSizes(10)).toEqual({ perAddress: 12, stagger: 5 });
  });
});

describe('rate-limit judge', () => {
  const facts = { periodMs: 2000, allowed: 3, status: 429 };
  const addresses = ['10.0.0.1', '10.0.0.2'];
  const planned = staggeredOrder(2, 5, 2);
  const answer = (rule: (address: number, index: number) => boolean, slowMs = 0) => planned.map((p, i) => (rule(p.address, p.index) ? ok(i * 5 + p.index * slowMs) : refused(i * 5 + p.index * slowMs)));

  it('passes exact sequences with independent addresses', () => {
    const groups = byAddress(addresses, planned, answer((_, i) => i < 3));
    expect(judgeSequences('l', 'w', groups, facts, 5, 'api').pass).toBe(true);
    expect(judgeIndependent('i', groups, facts).pass).toBe(true);
  });

  it('fails a limit one higher, and a proxy that never refuses', () => {
    expect(judgeSequences('l', 'w', byAddress(addresses, planned, answer((_, i) => i < 4)), facts, 5, 'api').pass).toBe(false);
    const never = byAddress(addresses, planned, answer(() => true));
    expect(judgeSequences('l', 'w', never, facts, 5, 'api').pass).toBe(false);
    expect(judgeIndependent('i', never, facts).pass).toBe(false);
  });

  it('fails a counter shared by all addresses', () => {
    let seen = 0;
    const shared = byAddress(addresses, planned, planned.map((p, i) => (seen++ < 3 ? ok(i * 5) : refused(i * 5))));
    expect(judgeSequences('l', 'w', shared, facts, 5, 'api').pass).toBe(false);
    expect(judgeIndependent('i', shared, facts).pass).toBe(false);
  });

  it('fails, saying why, a burst that took longer than the period', () => {
    const check = judgeSequences('l', 'w', byAddress(addresses, planned, answer((_, i) => i < 3, 600)), facts, 5, 'api');
    expect(check.pass).toBe(false);
    expect(check.detail).toMatch(/longer than the period/);
  });
});
