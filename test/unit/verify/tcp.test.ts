/**
 * The tcp model on ep02: the connections × requests plan lets a proxy that balances each
 * request (by rotation or at random) escape at most α of the time; a correct TCP proxy passes,
 * and apps that close connections fail keepalive-sticks with the reason.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeRequest } from '../../../src/runtime/types.js';
import type { BackendSpec } from '../../../src/lab-schema/types.js';
import { createRng } from '../../../src/verify/rng.js';
import { roundRobinRequests } from '../../../src/verify/models/roundrobin.js';
import { keepalivePlan, longestRun, sameServerChance, tcpModel, tcpPlanFor } from '../../../src/verify/models/tcp.js';
import { appOf, fakeLab, spec, swrr, testBalanceOracle, type LabState } from './fakes.js';
import { byName, failing, runModel } from './harness.js';

const TEXT = 'Hello from Flask over TCP!';

describe('sample size: connections × requests per connection', () => {
  it('Σ pᵢᵏ is the chance that k weighted picks share one server', () => {
    expect(sameServerChance([1, 1], 2)).toBeCloseTo(0.5, 12);
    expect(sameServerChance([2, 1, 3], 3)).toBeCloseTo((8 + 1 + 27) / 216, 12);
    expect(sameServerChance([5], 7)).toBe(1);
  });

  it('longest run of one server in a row', () => {
    expect(longestRun([])).toBe(0);
    expect(longestRun(['a', 'b', 'a'])).toBe(1);
    expect(longestRun(['a', 'b', 'b', 'b', 'a', 'a'])).toBe(3);
  });

  it('each plan holds its promise against random per-request picks, and no other k needs fewer requests', () => {
    for (const [weights, alpha] of [[[1, 1], 0.01], [[2, 1, 3], 0.01], [[1, 9], 0.001], [[1, 1, 1, 1], 1e-6], [[1, 256], 0.01]] as const) {
      const plan = keepalivePlan(weights, alpha);
      const q = sameServerChance(weights, plan.requestsPerConnection);
      expect(plan.missChance).toBeCloseTo(q ** plan.connections, 12);
      expect(plan.missChance).toBeLessThanOrEqual(alpha);
      // One connection fewer would not do.
      expect(q ** (plan.connections - 1)).toBeGreaterThan(alpha);
      for (let k = 2; k < 70; k++) {
        const c = Math.ceil(Math.log(alpha) / Math.log(sameServerChance(weights, k)) - 1e-9);
        expect(c * k, `k=${k} for ${weights.join(',')}`).toBeGreaterThanOrEqual(plan.connections * plan.requestsPerConnection);
      }
    }
  });

  it('a proxy picking each request at random by weight escapes the plan at most α of the time (simulated)', () => {
    const weights = [1, 1];
    const alpha = 0.05;
    const plan = keepalivePlan(weights, alpha);
    const rng = createRng('escape');
    const trials = 20_000;
    let escaped = 0;
    for (let t = 0; t < trials; t++) {
      let allStuck = true;
      for (let c = 0; c < plan.connections && allStuck; c++) {
        const first = rng.int(2);
        for (let r = 1; r < plan.requestsPerConnection; r++) if (rng.int(2) !== first) allStuck = false;
      }
      if (allStuck) escaped++;
    }
    // Binomial(20 000, missChance): 5 standard deviations of slack.
    const sd = Math.sqrt(trials * plan.missChance * (1 - plan.missChance));
    expect(escaped).toBeLessThanOrEqual(trials * alpha + 5 * sd);
    expect(Math.abs(escaped - trials * plan.missChance)).toBeLessThanOrEqual(5 * sd + 1);
  });

  it('with the rotation known, k exceeds its longest run: a per-request rotation spreads every connection at every phase', async () => {
    const ep09 = await spec('ep09');
    const backend = ep09.backends[0]!;
    const oracle = testBalanceOracle();
    const plan = tcpPlanFor(backend, 0.01, oracle);
    const cycle = 6;
    const rotation = oracle.sequence(backend, 8 * cycle);
    expect(plan.longestRun).toBe(longestRun(oracle.sequence(backend, 4 * cycle)));
    expect(plan.requestsPerConnection).toBeGreaterThan(plan.longestRun!);
    for (let phase = 0; phase < 4 * cycle; phase++) {
      expect(new Set(rotation.slice(phase, phase + plan.requestsPerConnection)).size, `phase ${phase}`).toBeGreaterThan(1);
    }
    // Whole cycles of connections, at least as many as the round-robin checks need.
    expect(plan.connections % cycle).toBe(0);
    expect(plan.connections).toBeGreaterThanOrEqual(roundRobinRequests(backend, 0.01));
  });

  it('--requests raises the total', () => {
    const plan = keepalivePlan([1, 1], 0.01, { minRequests: 100, cycle: 2 });
    expect(plan.connections * plan.requestsPerConnection).toBeGreaterThanOrEqual(100);
    expect(plan.connections % 2).toBe(0);
  });
});

describe('tcp model (ep02)', async () => {
  const lab = await spec('ep02');
  const backend: BackendSpec = lab.backends[0]!;
  const oracle = testBalanceOracle();
  const servers = ['flask1', 'flask2'];

  /** mode tcp: one round-robin pick per connection (batch + session), kept for its requests. */
  function perConnection() {
    let i = 0;
    const given = new Map<string, string>();
    return (req: ProbeRequest, state: LabState) => {
      const key = `${state.batch}-${req.session ?? ''}`;
      if (!given.has(key)) given.set(key, appOf(backend, servers[i++ % 2]!));
      return { app: given.get(key)!, body: TEXT };
    };
  }

  /** mode http: every request picked anew, in rotation. */
  function perRequestRotation() {
    let i = 0;
    return () => ({ app: appOf(backend, servers[i++ % 2]!), body: TEXT });
  }

  /** Every response on a connection of its own: an app that closes after each answer. */
  function closingEveryConnection(fake: ReturnType<typeof fakeLab>, closes: (index: number) => boolean = () => true) {
    let n = 0;
    const send = fake.prober.send.bind(fake.prober);
    return {
      ...fake,
      prober: {
        ...fake.prober,
        send: async (...args: Parameters<typeof send>) => (await send(...args)).map((r, i) => (closes(i) ? { ...r, connection: `own-${n++}` } : r)),
      },
    };
  }

  const neverSkipped = (checks: { skipped?: string }[]) => expect(checks.filter((c) => c.skipped !== undefined)).toEqual([]);

  it('a correct TCP proxy passes; connections are the picks', async () => {
    const fake = fakeLab(lab, { haproxy: perConnection() });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    neverSkipped(o.checks);
    expect(o.checks.map((c) => c.name)).toEqual(['tcp.forwarded', 'tcp.per-connection.cycle-counts', 'tcp.per-connection.order', 'tcp.keepalive-sticks']);
    const plan = tcpPlanFor(backend, 0.01, oracle);
    expect(fake.sent.length).toBe(plan.connections * plan.requestsPerConnection);
    expect(fake.sent.every((r) => r.connection === 'keepalive')).toBe(true);
    expect(new Set(fake.sent.map((r) => r.session)).size).toBe(plan.connections);
    expect(o.requests).toBe(fake.sent.length);
    // lbtot counts one pick per connection in mode tcp.
    expect(Object.values(o.served).reduce((s, v) => s + v, 0)).toBe(plan.connections);
    expect(byName(o.checks, 'tcp.keepalive-sticks').detail).toMatch(/once per connection.*caught.*longest run of 1.*probability 3\.9e-3 \(≤ α 0\.01\)/);
  });

  it('ep02 sends 8 connections of 2 requests: 2 exceeds the rotation\'s runs of 1, and 0.5⁸ < 0.01', () => {
    const plan = tcpPlanFor(backend, 0.01, oracle);
    expect([plan.connections, plan.requestsPerConnection, plan.longestRun]).toEqual([roundRobinRequests(backend, 0.01), 2, 1]);
    expect(plan.missChance).toBeCloseTo(0.5 ** plan.connections, 12);
  });

  it('balancing each request (a frontend in mode http) fails keepalive-sticks, named', async () => {
    const fake = fakeLab(lab, { haproxy: perRequestRotation() });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    const checks = outcomes.get('haproxy')!.checks;
    expect(failing(checks)).toContain('tcp.keepalive-sticks');
    expect(byName(checks, 'tcp.keepalive-sticks').detail).toMatch(/answered by flask1, flask2: the proxy balanced each request/);
    neverSkipped(checks);
  });

  it('balancing each request at random by weight is caught too', async () => {
    const rng = createRng('per-request random');
    const fake = fakeLab(lab, { haproxy: () => ({ app: appOf(backend, servers[rng.int(2)]!), body: TEXT }) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toContain('tcp.keepalive-sticks');
  });

  it('an app that closes every connection fails keepalive-sticks with the reason; never skipped, never passed', async () => {
    const fake = closingEveryConnection(fakeLab(lab, { haproxy: perRequestRotation() }));
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    const checks = outcomes.get('haproxy')!.checks;
    expect(failing(checks)).toEqual(['tcp.keepalive-sticks']);
    expect(byName(checks, 'tcp.keepalive-sticks').detail).toMatch(/no connection carried two requests.*waitress/);
    neverSkipped(checks);
  });

  it('connections closed part way fail keepalive-sticks', async () => {
    const fake = closingEveryConnection(fakeLab(lab, { haproxy: perConnection() }), (i) => i === 3);
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    const check = byName(outcomes.get('haproxy')!.checks, 'tcp.keepalive-sticks');
    expect(check.pass).toBe(false);
    expect(check.detail).toMatch(/1 of \d+ connections were closed before their 2 requests/);
  });

  it('unanswered requests fail keepalive-sticks', async () => {
    let n = 0;
    const inner = perConnection();
    const fake = fakeLab(lab, { haproxy: (req, state) => (n++ === 5 ? { error: 'ECONNRESET' } : inner(req, state)) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(byName(outcomes.get('haproxy')!.checks, 'tcp.keepalive-sticks').detail).toMatch(/1 requests not answered.*ECONNRESET/);
  });

  it('every connection to one server fails the per-connection checks only', async () => {
    const fake = fakeLab(lab, { haproxy: () => ({ app: 'flask1', body: TEXT }) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['tcp.per-connection.cycle-counts', 'tcp.per-connection.order']);
  });

  it('bytes not forwarded (wrong body) fail tcp.forwarded', async () => {
    const fake = fakeLab(lab, { haproxy: () => ({ app: 'flask1', body: 'garbage' }) });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake, { oracles: { balance: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toContain('tcp.forwarded');
  });

  it('without the balance oracle the plan still guards against random per-request picks, and says what it cannot know', async () => {
    const plan = tcpPlanFor(backend, 0.01, undefined);
    expect(plan.longestRun).toBeUndefined();
    expect(plan.missChance).toBeLessThanOrEqual(0.01);
    const fake = fakeLab(lab, { haproxy: perConnection() });
    const { outcomes } = await runModel(tcpModel('tcp_front', backend), fake);
    expect(byName(outcomes.get('haproxy')!.checks, 'tcp.keepalive-sticks').detail).toMatch(/longest run is unknown/);
  });

  it('a weighted backend (ep09 as mode tcp) passes when correct and fails when balanced per request', async () => {
    const ep09 = await spec('ep09');
    const weighted = ep09.backends[0]!;
    const tcpLab = { ...ep09, frontends: ep09.frontends.map((f) => ({ ...f, mode: 'tcp' as const })) };
    const order = swrr(weighted, 10_000);
    const text = (app: string) => ep09.apps.find((a) => a.name === app)!.routes.find((r) => r.path === '/')!.text;
    let i = 0;
    const given = new Map<string, string>();
    const correct = fakeLab(tcpLab, { haproxy: (req, state) => {
      const key = `${state.batch}-${req.session}`;
      if (!given.has(key)) given.set(key, appOf(weighted, order[i++]!));
      return { app: given.get(key)!, body: text(given.get(key)!) };
    } });
    const ok = await runModel(tcpModel(tcpLab.frontends[0]!.name, weighted), correct, { oracles: { balance: oracle } });
    expect(failing(ok.outcomes.get('haproxy')!.checks)).toEqual([]);
    let j = 0;
    const perRequest = fakeLab(tcpLab, { haproxy: () => {
      const app = appOf(weighted, order[j++]!);
      return { app, body: text(app) };
    } });
    const caught = await runModel(tcpModel(tcpLab.frontends[0]!.name, weighted), perRequest, { oracles: { balance: oracle } });
    expect(failing(caught.outcomes.get('haproxy')!.checks)).toContain('tcp.keepalive-sticks');
  });
});
