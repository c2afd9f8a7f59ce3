/**
 * The hash model on ep07: consistent hashing passes; round-robin, map-based or a missing server
 * fails the check that sees it; the map-based moved share agrees with a simulation; hash parity
 * across proxies passes only when they agree.
 */
import { describe, expect, it } from 'vitest';
import { primaryBackend, type BackendSpec } from '../../../src/lab-schema/types.js';
import type { ProbeRequest } from '../../../src/runtime/types.js';
import { keyContext } from '../../../src/verify/hash-keys.js';
import { mapBasedMovedShare } from '../../../src/verify/models/hash-judge.js';
import { hashModel } from '../../../src/verify/models/hash.js';
import type { FaultInjector } from '../../../src/verify/models/types.js';
import { appOf, fakeLab, spec, testBalanceOracle, testHash } from './fakes.js';
import { byName, failing, runModel } from './harness.js';

/** A hashing proxy with health checks: a stopped app is routed around. */
function hashingLab(backend: BackendSpec, method: 'consistent' | 'map-based') {
  const stopped = new Set<string>();
  const faults: FaultInjector = {
    async stop(app) { stopped.add(app); },
    async start(app) { stopped.delete(app); },
    stoppedApp: 'refused',
  };
  const behaviour = (req: ProbeRequest) => {
    const down = backend.servers.filter((s) => stopped.has(s.app)).map((s) => s.name);
    const ctx = keyContext(backend, { value: req.sourceAddress ?? '127.0.0.1' });
    const server = testHash(backend, ctx, down, method);
    return server ? { app: appOf(backend, server) } : { status: 503 };
  };
  return { behaviour, faults };
}

describe('hash model (ep07: balance source, hash-type consistent)', async () => {
  const lab = await spec('ep07');
  const backend = primaryBackend(lab);
  const oracle = testBalanceOracle();

  it('a correct consistent-hashing lab passes every check', async () => {
    const { behaviour, faults } = hashingLab(backend, 'consistent');
    const fake = fakeLab(lab, { haproxy: behaviour });
    const { outcomes } = await runModel(hashModel('http_front', backend), fake, { oracles: { balance: oracle }, faults });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(o.checks.map((c) => c.name)).toEqual([
      'hash.answered', 'hash.sticky', 'hash.model', 'hash.spread',
      'hash.consistent.only-stopped-moved', 'hash.consistent.moved-share', 'hash.model-after-stop',
    ]);
    expect(o.disrupted).toBe(true);
    // The keys were client addresses, as many as the spread test needs.
    expect(fake.addressCalls[0]!.count).toBeGreaterThan(900);
  });

  it('round robin instead of hashing fails hash.sticky', async () => {
    let i = 0;
    const fake = fakeLab(lab, { haproxy: () => ({ app: ['app1', 'app2', 'app3'][i++ % 3]! }) });
    const { outcomes } = await runModel(hashModel('http_front', backend), fake, { oracles: { balance: oracle } });
    const failed = failing(outcomes.get('haproxy')!.checks);
    expect(failed).toContain('hash.sticky');
    expect(failed).toContain('hash.model');
  });

  it('map-based in place of consistent: keys of servers still up move', async () => {
    const { behaviour, faults } = hashingLab(backend, 'map-based');
    const fake = fakeLab(lab, { haproxy: behaviour });
    const { outcomes } = await runModel(hashModel('http_front', backend), fake, { oracles: { balance: oracle }, faults });
    const failed = failing(outcomes.get('haproxy')!.checks);
    expect(failed).toContain('hash.consistent.only-stopped-moved');
    expect(failed).toContain('hash.consistent.moved-share');
    expect(byName(outcomes.get('haproxy')!.checks, 'hash.sticky').pass).toBe(true);
  });

  it('a server silently missing fails the spread', async () => {
    const twoOnly = { ...backend, servers: backend.servers.filter((s) => s.name !== 'server2') };
    const fake = fakeLab(lab, { haproxy: (req: ProbeRequest) => ({ app: appOf(backend, testHash(twoOnly, keyContext(twoOnly, { value: req.sourceAddress! }), [], 'consistent')!) }) });
    const { outcomes } = await runModel(hashModel('http_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toContain('hash.spread');
    expect(o.counts!.server2).toBe(0);
  });

  it('without a fault injector the failover checks are skipped', async () => {
    const { behaviour } = hashingLab(backend, 'consistent');
    const fake = fakeLab(lab, { haproxy: behaviour });
    const { outcomes } = await runModel(hashModel('http_front', backend), fake, { oracles: { balance: oracle } });
    expect(byName(outcomes.get('haproxy')!.checks, 'hash.consistent.moved-share').skipped).toMatch(/cannot stop/);
  });

  it('the runtime gives fewer addresses: fewer keys, and the note says the power', async () => {
    const { behaviour } = hashingLab(backend, 'consistent');
    const fake = fakeLab(lab, { haproxy: behaviour }, {
      addresses: (count) => {
        if (count > 300) throw new Error('too many addresses');
        return Array.from({ length: count }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`);
      },
    });
    const { notes } = await runModel(hashModel('http_front', backend), fake, { oracles: { balance: oracle } });
    expect(notes.join(' ')).toMatch(/gave \d+ client addresses .* power of the spread test 0\.\d+/);
  });
});

describe('map-based moved share (closed form)', () => {
  const three = { name: 'b', balance: 'source' as const, servers: ['a', 'b', 'c'].map((n) => ({ name: n, app: n, weight: 1, check: true })) };
  it('N equal servers: 1 − 1/N of keys move', () => {
    expect(mapBasedMovedShare(three, 'c')).toBeCloseTo(2 / 3, 12);
  });
  it('agrees with a simulation of hash mod W', async () => {
    const weighted = { ...three, servers: three.servers.map((s, i) => ({ ...s, weight: [2, 1, 3][i]! })) };
    expect(mapBasedMovedShare(weighted, 'a')).toBeUndefined(); // 6 and 4 slots: residues correlated
    const share = mapBasedMovedShare(weighted, 'b')!; // 6 and 5 slots
    let moved = 0;
    const N = 60_000;
    for (let h = 0; h < N; h++) {
      const before = testHash(weighted, { sourceAddress: '' }, [], 'map-based');
      void before;
      const tb = ['a', 'a', 'b', 'c', 'c', 'c'][h % 6];
      const ta = ['a', 'a', 'c', 'c', 'c'][h % 5];
      if (tb !== ta) moved++;
    }
    expect(share).toBeCloseTo(moved / N, 3);
  });
});

describe('hash parity across proxies', async () => {
  const lab = await spec('ep07');
  const backend = primaryBackend(lab);
  it('both proxies on the same keys: parity.hash passes when they agree, fails when not', async () => {
    const { verifyLab } = await import('../../../src/verify/run.js');
    const same = hashingLab(backend, 'consistent').behaviour;
    const other = hashingLab(backend, 'map-based').behaviour;
    const good = fakeLab(lab, { haproxy: same, ts: same });
    const ok = await verifyLab(good.instance, good.prober, { seed: 2, oracles: { balance: testBalanceOracle() } });
    expect(ok.checks.map((c) => [c.name, c.pass])).toEqual([['parity.hash', true]]);
    const bad = fakeLab(lab, { haproxy: same, ts: other });
    const ko = await verifyLab(bad.instance, bad.prober, { seed: 2 });
    expect(ko.checks.map((c) => [c.name, c.pass])).toEqual([['parity.hash', false]]);
    expect(ko.verdict).toBe('fail');
  });
});
