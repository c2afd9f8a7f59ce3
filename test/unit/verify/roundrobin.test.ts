/**
 * The round-robin model on ep09: whole cycles sent, a correct lab passes at any phase; swapped
 * weights, a wrong order or a missing server fail the right check; no order oracle means skipped.
 */
import { describe, expect, it } from 'vitest';
import { primaryBackend } from '../../../src/lab-schema/types.js';
import { roundRobinModel, roundRobinRequests } from '../../../src/verify/models/roundrobin.js';
import { bestPhase } from '../../../src/verify/models/rotation.js';
import { appOf, fakeLab, spec, swrr, testBalanceOracle } from './fakes.js';
import { byName, failing, runModel } from './harness.js';

/** A lab that rotates like the oracle, having already served `served` requests. */
function rotating(order: string[], backend: Parameters<typeof appOf>[0]) {
  let i = 0;
  return () => ({ app: appOf(backend, order[i++ % order.length]!) });
}

describe('round robin model (ep09, weights 2/1/3)', async () => {
  const lab = await spec('ep09');
  const backend = primaryBackend(lab);
  const oracle = testBalanceOracle();

  it('sends whole cycles, enough that random order could not pass', () => {
    const n = roundRobinRequests(backend, 0.01);
    expect(n % 6).toBe(0);
    expect(n).toBeGreaterThanOrEqual(18);
  });

  it('a correct lab passes, whatever phase it was left in', async () => {
    const order = swrr(backend, 6, 4); // four requests already served before the check
    const fake = fakeLab(lab, { haproxy: rotating([...order, ...order], backend) });
    const { outcomes } = await runModel(roundRobinModel('http_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(byName(o.checks, 'rr.order').detail).toMatch(/phase 4/);
    expect(o.counts).toEqual({ server1: o.requests / 3, server2: o.requests / 6, server3: o.requests / 2 });
  });

  it('weights swapped: cycle counts fail', async () => {
    const swapped = { ...backend, servers: backend.servers.map((s, i) => ({ ...s, weight: [3, 1, 2][i]! })) };
    const fake = fakeLab(lab, { haproxy: rotating(swrr(swapped, 6), backend) });
    const { outcomes } = await runModel(roundRobinModel('http_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['rr.cycle-counts', 'rr.order']);
  });

  it('right counts, wrong order: only the order fails', async () => {
    const fake = fakeLab(lab, { haproxy: rotating(['server1', 'server1', 'server2', 'server3', 'server3', 'server3'], backend) });
    const { outcomes } = await runModel(roundRobinModel('http_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['rr.order']);
  });

  it('a server silently missing: its turns taken by the others', async () => {
    const fake = fakeLab(lab, { haproxy: rotating(['server1', 'server3', 'server1', 'server3', 'server3', 'server3'], backend) });
    const { outcomes } = await runModel(roundRobinModel('http_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toContain('rr.cycle-counts');
    expect(o.counts!.server2).toBe(0);
  });

  it('without the order oracle, order is skipped (never passed) and counts still judged', async () => {
    const fake = fakeLab(lab, { haproxy: rotating(swrr(backend, 6), backend) });
    const { outcomes } = await runModel(roundRobinModel('http_front', backend), fake);
    const order = byName(outcomes.get('haproxy')!.checks, 'rr.order');
    expect(order.skipped).toBeTruthy();
    expect(order.pass).toBe(false);
    expect(byName(outcomes.get('haproxy')!.checks, 'rr.cycle-counts').pass).toBe(true);
  });

  it('bestPhase finds the offset and where the order breaks', () => {
    expect(bestPhase(['a', 'b', 'c', 'a', 'b', 'c'], ['c', 'a', 'b'], 3)).toEqual({ offset: 2, matched: 3 });
    expect(bestPhase(['a', 'b', 'c', 'a', 'b', 'c'], ['b', 'c', 'c'], 3)).toEqual({ offset: 1, matched: 2 });
  });
});
