/** The load-aware models on a simulated lab: leastconn (the fast server takes the excess) and random(2)'s peak load against random(1). */
import { describe, expect, it } from 'vitest';
import { primaryBackend, type BackendSpec } from '../../../src/lab-schema/types.js';
import { fastServers, leastconnModel, leastconnRequests } from '../../../src/verify/models/leastconn.js';
import { comparePeakLoad } from '../../../src/verify/models/peakload.js';
import { randomModel } from '../../../src/verify/models/random.js';
import { createRng } from '../../../src/verify/rng.js';
import { appOf, fakeLab, spec, testBalanceOracle, type LabState } from './fakes.js';
import { byName, failing, runModel } from './harness.js';

const delayOf = (app: string) => (app === 'app2' ? 20 : 5000);

/** Least connections: the app with the fewest requests in flight; ties to the first. */
function leastconn(backend: BackendSpec) {
  return (_req: unknown, state: LabState) => {
    const apps = backend.servers.map((s) => s.app);
    const app = apps.reduce((best, a) => ((state.inFlight.get(a) ?? 0) < (state.inFlight.get(best) ?? 0) ? a : best));
    return { app, delayMs: delayOf(app) };
  };
}

describe('leastconn model (ep06: app1 and app3 sleep 5 s)', async () => {
  const lab = await spec('ep06');
  const backend = primaryBackend(lab);

  it('knows the fast server and sizes the load', () => {
    expect(fastServers(lab, backend)).toEqual(['server2']);
    expect(leastconnRequests(1 / 3, { alpha: 0.01, power: 0.95, skew: 0.2 })).toBeGreaterThanOrEqual(48);
  });

  it('least connections passes: the fast server takes the excess', async () => {
    const fake = fakeLab(lab, { haproxy: leastconn(backend) });
    const { outcomes } = await runModel(leastconnModel('http_front', backend), fake);
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    const check = byName(o.checks, 'leastconn.fast-takes-excess');
    expect(check.pValue!).toBeLessThan(1e-6);
  });

  it('round robin in its place fails leastconn.fast-takes-excess', async () => {
    let i = 0;
    const fake = fakeLab(lab, { haproxy: () => { const app = ['app1', 'app2', 'app3'][i++ % 3]!; return { app, delayMs: delayOf(app) }; } });
    const { outcomes } = await runModel(leastconnModel('http_front', backend), fake);
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['leastconn.fast-takes-excess']);
  });
});

describe('random model (ep08)', async () => {
  const lab = await spec('ep08');
  const backend = primaryBackend(lab);
  // A ring's shares, deliberately not the weights (as HAProxy's ring is not).
  const ring = { server1: 0.39, server2: 0.28, server3: 0.33 };
  const oracle = testBalanceOracle(ring);

  function drawing(shares: Record<string, number>, seed: string) {
    const rng = createRng(seed);
    const names = Object.keys(shares);
    return () => ({ app: appOf(backend, names[rng.weighted(names.map((n) => shares[n]!))]!) });
  }

  it('draws from the ring: passes, with n from requiredSampleSize', async () => {
    const fake = fakeLab(lab, { haproxy: drawing(ring, 'correct') });
    const { outcomes, notes } = await runModel(randomModel('http_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(byName(o.checks, 'random.distribution').pValue!).toBeGreaterThan(0.01);
    expect(o.requests).toBeGreaterThan(1000);
    expect(notes.join(' ')).toMatch(/computed/);
    expect(byName(o.checks, 'random.peak-load').skipped).toBeTruthy();
  });

  it('weights swapped (server1 and server2 shares exchanged) fail random.distribution', async () => {
    const fake = fakeLab(lab, { haproxy: drawing({ server1: 0.28, server2: 0.39, server3: 0.33 }, 'swapped') });
    const { outcomes } = await runModel(randomModel('http_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['random.distribution']);
  });

  it('a server silently missing fails random.distribution', async () => {
    const fake = fakeLab(lab, { haproxy: drawing({ server1: 0.5, server3: 0.5 }, 'missing') });
    const { outcomes } = await runModel(randomModel('http_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual(['random.distribution']);
    expect(o.counts!.server2).toBe(0);
  });

  it('without the oracle the distribution is skipped, not judged against the weights', async () => {
    const fake = fakeLab(lab, { haproxy: drawing(ring, 'no-oracle') });
    const { outcomes } = await runModel(randomModel('http_front', backend), fake);
    expect(byName(outcomes.get('haproxy')!.checks, 'random.distribution').skipped).toMatch(/ring/);
  });

  it('peak load: random(2) beats random(1) under concurrency, and not the reverse', async () => {
    function concurrent(draws: number, seed: string) {
      const rng = createRng(seed);
      const apps = backend.servers.map((s) => s.app);
      return (_req: unknown, state: LabState) => {
        let best = apps[rng.int(3)]!;
        for (let d = 1; d < draws; d++) {
          const c = apps[rng.int(3)]!;
          if ((state.inFlight.get(c) ?? 0) <= (state.inFlight.get(best) ?? 0)) best = c;
        }
        return { app: best, delayMs: 5 + rng.int(20) };
      };
    }
    const send = async (draws: number, run: number) => {
      const fake = fakeLab(lab, { haproxy: concurrent(draws, `peak-${draws}-${run}`) });
      return fake.prober.send(Array.from({ length: 600 }, () => ({ proxy: 'haproxy' as const, frontend: 'http_front', method: 'GET', path: '/' })), { concurrency: 12 });
    };
    const two = { label: 'random(2)', runs: [await send(2, 1), await send(2, 2)] };
    const one = { label: 'random(1)', runs: [await send(1, 1), await send(1, 2)] };
    const good = comparePeakLoad(backend, two, one, 0.01);
    expect(good.pass).toBe(true);
    expect(good.name).toBe('random.peak-load: random(2) vs random(1)');
    expect(comparePeakLoad(backend, one, two, 0.01).pass).toBe(false);
    expect(good.detail).toMatch(/2 and 2 runs/);
    // Two runs of the same algorithm: no difference to find.
    expect(comparePeakLoad(backend, { label: 'random(1)', runs: [one.runs[0]!] }, { label: 'random(1)', runs: [one.runs[1]!] }, 0.01).pass).toBe(false);
    // A run too short to cut into batches fails, it is not judged on a handful.
    expect(comparePeakLoad(backend, { ...two, runs: [two.runs[0]!.slice(0, 10)] }, one, 0.01)).toMatchObject({ pass: false, detail: expect.stringMatching(/at least 20 requests/) });
  });
});
