import { describe, expect, it } from 'vitest';
import { primaryBackend } from '../../../src/spec/types.js';
import { bestPhase, roundRobinModel, roundRobinRequests } from '../../../src/verify/models/roundrobin.js';
import { tcpModel } from '../../../src/verify/models/tcp.js';
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

describe('tcp model (ep02)', async () => {
  const lab = await spec('ep02');
  const backend = lab.backends[0]!;
  const oracle = testBalanceOracle();

  /** Per connection round robin; a kept-alive connection keeps its server. */
  function tcpProxy(perRequest = false) {
    let i = 0;
    const conn = new Map<number, string>();
    return (req: { connection?: string }, state: { batch: number }) => {
      const next = () => appOf(backend, ['flask1', 'flask2'][i++ % 2]!);
      if (req.connection === 'keepalive' && !perRequest) {
        if (!conn.has(state.batch)) conn.set(state.batch, next());
        return { app: conn.get(state.batch)!, body: 'Hello from Flask over TCP!' };
      }
      return { app: next(), body: 'Hello from Flask over TCP!' };
    };
  }

  it('a correct TCP proxy passes', async () => {
    const fake = fakeLab(lab, { haproxy: tcpProxy() });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(o.checks.map((c) => c.name)).toEqual(['tcp.forwarded', 'tcp.per-connection.cycle-counts', 'tcp.per-connection.order', 'tcp.keepalive-sticks']);
    expect(fake.sent.filter((r) => r.connection === 'tcp').length).toBeGreaterThan(0);
  });

  it('balancing per request on one connection fails keepalive-sticks', async () => {
    const fake = fakeLab(lab, { haproxy: tcpProxy(true) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['tcp.keepalive-sticks']);
  });

  it('an app that closes every connection makes keepalive-sticks skipped, never passed', async () => {
    const fake = fakeLab(lab, { haproxy: tcpProxy() });
    let fresh = 0;
    const send = fake.prober.send.bind(fake.prober);
    const closing = { ...fake, prober: { ...fake.prober, send: async (...args: Parameters<typeof send>) =>
      (await send(...args)).map((r) => ({ ...r, connection: `fresh-${fresh++}` })) } };
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), closing, { oracles: { balance: oracle } });
    const check = outcomes.get('haproxy')!.checks.find((c) => c.name === 'tcp.keepalive-sticks')!;
    expect(check.pass).toBe(false);
    expect(check.skipped).toMatch(/Connection: close/);
  });

  it('every connection to one server fails the per-connection checks', async () => {
    const fake = fakeLab(lab, { haproxy: () => ({ app: 'flask1', body: 'Hello from Flask over TCP!' }) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['tcp.per-connection.cycle-counts', 'tcp.per-connection.order']);
  });

  it('bytes not forwarded (wrong body) fail tcp.forwarded', async () => {
    const fake = fakeLab(lab, { haproxy: () => ({ app: 'flask1', body: 'garbage' }) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toContain('tcp.forwarded');
  });
});
