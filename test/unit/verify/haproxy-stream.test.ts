/**
 * HAProxy 2.6's random picks found on its fixed-seed streams (src/verify/candidates/
 * haproxy-stream.ts): a simulated HAProxy — haplab's RandomBalancer fed by the threads'
 * streams, threads taking requests in turn from offsets the test picks — must be found at
 * exactly those threads and offsets, also when the turn breaks after the anchor; picks that
 * are not the streams' (independent draws, a rotation, the wrong number of draws) must not
 * be; and the candidates judge must rule random(1) out on the streams while random(2) fits.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import { haproxyDraws, haproxyStream, xorshift32, HAPROXY_PRNG_SEED } from '../../../src/proxy/balance/statistical-prng.js';
import { primaryBackend, type BackendSpec } from '../../../src/lab-schema/types.js';
import { balancerOracle } from '../../../src/verify/balance-oracle.js';
import { alignHaproxyStreams } from '../../../src/verify/candidates/haproxy-stream.js';
import { judgeCandidates } from '../../../src/verify/candidates/judge.js';
import { sequentialPicks } from '../../../src/verify/candidates/simulate.js';
import { createRng } from '../../../src/verify/rng.js';
import { sequentialProbes } from '../../../src/verify/models/sequential.js';
import { spec } from './fakes.js';

const oracle = balancerOracle(createBalancer);
const make = oracle.balancer!.bind(oracle);

/**
 * What HAProxy does with sequential requests: request i is drawn by thread threadOf(i),
 * whose stream has already given `skipped[t]` draws.
 */
function haproxyPicks(backend: BackendSpec, n: number, skipped: number[], threadOf: (i: number) => number): string[] {
  const streams = skipped.map((s, t) => haproxyStream(t, s));
  let current = 0;
  const { balancer } = make(backend, () => streams[current]!());
  return Array.from({ length: n }, (_, i) => {
    current = threadOf(i);
    return balancer.pick({ sourceAddress: '127.0.0.1', uri: '/' })!.name;
  });
}

describe('HAProxy 2.6 statistical generator', () => {
  it('is xorshift32 (13, 17, 5) from 2463534242, each thread 64 further', () => {
    // The first draws by hand: x ^= x << 13; x ^= x >>> 17; x ^= x << 5 (32-bit).
    let x = HAPROXY_PRNG_SEED;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    expect(haproxyDraws(0, 1)[0]).toBe(x);
    expect(haproxyDraws(1, 1)[0]).toBe(xorshift32(HAPROXY_PRNG_SEED + 64));
    expect(haproxyDraws(0, 5, 3)).toEqual(haproxyDraws(0, 8).slice(3));
    expect(haproxyStream(0, 2)()).toBe(haproxyDraws(0, 3)[2]! / 2 ** 32);
  });
});

describe('alignHaproxyStreams', () => {
  it('finds two threads in turn at the offsets they stood at', async () => {
    const backend = primaryBackend(await spec('ep08'));
    const picks = haproxyPicks(backend, 400, [37, 12], (i) => (i + 1) % 2);
    const a = alignHaproxyStreams(make, backend, picks);
    expect(a?.threads).toEqual([{ thread: 0, skipped: 37, requests: 200 }, { thread: 1, skipped: 12, requests: 200 }]);
    expect(a?.threadOf.slice(0, 4)).toEqual([1, 0, 1, 0]);
  });

  it('follows a turn broken after the anchor, and one thread alone', async () => {
    const backend = primaryBackend(await spec('ep08'));
    // Requests 100-102 all go to thread 0 (a connection still open when the next arrived).
    let t = 0;
    const turns = Array.from({ length: 300 }, (_, i) => (i >= 100 && i <= 102 ? 0 : (t = 1 - t)));
    const broken = haproxyPicks(backend, 300, [5, 800], (i) => turns[i]!);
    expect(alignHaproxyStreams(make, backend, broken)?.threads.map((x) => x.skipped)).toEqual([5, 800]);
    const single = haproxyPicks({ ...backend, balanceArg: '3' }, 150, [1234], () => 0);
    expect(alignHaproxyStreams(make, { ...backend, balanceArg: '3' }, single)?.threads).toEqual([{ thread: 0, skipped: 1234, requests: 150 }]);
  });

  it('finds nothing in independent draws, a rotation, or another number of draws', async () => {
    const backend = primaryBackend(await spec('ep08'));
    const rng = createRng('not-haproxy');
    const probes = sequentialProbes(300, rng.fork('p')).map((p) => ({ sourceAddress: '127.0.0.1', uri: p.path }));
    expect(alignHaproxyStreams(make, backend, sequentialPicks(make, backend, probes, rng.fork('draws')))).toBeUndefined();
    expect(alignHaproxyStreams(make, backend, Array.from({ length: 300 }, (_, i) => `server${(i % 3) + 1}`))).toBeUndefined();
    const two = haproxyPicks(backend, 300, [0, 0], (i) => i % 2);
    expect(alignHaproxyStreams(make, { ...backend, balanceArg: '1' }, two)).toBeUndefined();
    expect(alignHaproxyStreams(make, backend, two)).toBeDefined();
  });
});

describe('candidates on HAProxy\'s streams', () => {
  it('random(2) fits, random(1) and each server missing are ruled out by replay', async () => {
    const backend = primaryBackend(await spec('ep08'));
    const servers = haproxyPicks(backend, 600, [3, 0], (i) => (i + 1) % 2);
    const contexts = servers.map(() => ({ sourceAddress: '127.0.0.1', uri: '/' }));
    const { check, report } = judgeCandidates('balance', backend, 'http', { sequential: { contexts, servers, haproxyStreams: true } }, { oracle, make, rng: createRng('s'), alpha: 0.01 / 3 });
    expect(check.pass, check.detail).toBe(true);
    const byLabel = new Map(report.outcomes.map((o) => [o.label, o]));
    expect(byLabel.get('random(2) (configured)')?.status).toBe('consistent');
    for (const label of ['random(1)', 'random(2) without server1', 'random(2) without server3']) {
      expect(byLabel.get(label)?.status, label).toBe('ruled-out');
      expect(byLabel.get(label)?.reason).toMatch(/HAProxy 2\.6's generator, threads 0, 1/);
    }
  });

  it('a lab running random(1) on HAProxy is named by what fits', async () => {
    const backend = primaryBackend(await spec('ep08'));
    const servers = haproxyPicks({ ...backend, balanceArg: '1' }, 600, [0, 0], (i) => i % 2);
    const contexts = servers.map(() => ({ sourceAddress: '127.0.0.1', uri: '/' }));
    const { check, report } = judgeCandidates('balance', backend, 'http', { sequential: { contexts, servers, haproxyStreams: true } }, { oracle, make, rng: createRng('s'), alpha: 0.01 / 3 });
    expect(check.pass).toBe(false);
    expect(report.outcomes[0]!.status).toBe('inconsistent');
    expect(report.outcomes.filter((o) => o.status === 'consistent').map((o) => o.label)).toEqual(['random(1)']);
  });
});
