/**
 * Hashing (source, uri, hdr, url_param; map-based or consistent), ep07. Traffic:
 *  1. K distinct keys (client addresses for `source`, random paths / header values /
 *     parameter values otherwise), each sent in R = 3 rounds, reshuffled per round;
 *     K from requiredSampleSize on the expected shares, so the spread test has its power.
 *  2. One server stopped (the last active one with `check`, so the proxy can notice),
 *     every key sent once more after the proxy routes around it, then the server started.
 * Checks: hash.sticky (100 % of keys on one server), hash.model (each key where HAProxy's
 * hash puts it; oracle), hash.spread (χ² of keys per server against the expected shares),
 * then after the stop: hash.consistent.only-stopped-moved, hash.<type>.moved-share
 * (exact binomial tolerance) and hash.model-after-stop (oracle).
 */
import type { BackendSpec, ProxyKind } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { algorithmLabel } from '../algorithm-name.js';
import { clientAddressOf } from '../candidates/evidence.js';
import { keyContext, keyKind, keyRequest, randomKeyValue, type HashKey } from '../hash-keys.js';
import { activeServers, answeredCheck, countByServer, serverOf } from '../observe.js';
import { skippedCheck, type Check } from '../report/types.js';
import { powerAt, requiredSampleSize } from '../statistics.js';
import type { Rng } from '../rng.js';
import {
  countMoves, judgeAgainstOracle, judgeMovedShare, judgeOnlyStoppedMoved, judgeSticky, mapBasedMovedShare, type KeyServers,
} from './hash-judge.js';
import { judgeDistribution } from './random.js';
import { atLeast, tallyServed, type Batch, type Model, type ModelContext, type ModelResult, type ProxyOutcome } from './types.js';

export const HASH_ROUNDS = 3;
export const HASH_CONCURRENCY = 8;
/** Below this many keys a spread test says nothing; the check is skipped instead. */
export const MIN_KEYS = 20;
const WAIT_MS = 30_000;

export { algorithmLabel } from '../algorithm-name.js';

/** K keys: addresses from the runtime for `source` (fewer if it cannot make so many), random values otherwise. */
export async function makeKeys(ctx: Pick<ModelContext, 'prober' | 'spec'>, backend: BackendSpec, wanted: number, rng: Rng): Promise<{ keys: HashKey[]; note?: string }> {
  const kind = keyKind(backend);
  if (kind !== 'source') return { keys: Array.from({ length: wanted }, () => ({ value: randomKeyValue(kind ?? 'uri', rng) })) };
  let count = wanted;
  let lastError = '';
  while (count >= MIN_KEYS) {
    try {
      const addresses = await ctx.prober.clientAddresses(count, ctx.spec.clientSubnet);
      const unique = [...new Set(addresses)];
      const note = unique.length < wanted ? `source hashing: the runtime gave ${unique.length} client addresses of the ${wanted} the spread test needs${lastError ? ` (${lastError})` : ''}` : undefined;
      return { keys: unique.map((value) => ({ value })), note };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      count = Math.floor(count / 2);
    }
  }
  return { keys: [], note: `source hashing: no client addresses (${lastError})` };
}

/** R rounds over the keys; `index[i]` is the key of probe i. */
export function planHash(frontend: string, backend: BackendSpec, keys: readonly HashKey[], rounds: number, rng: Rng): { batch: Batch; index: number[] } {
  const index: number[] = [];
  for (let r = 0; r < rounds; r++) index.push(...rng.shuffle(keys.map((_, i) => i)));
  const probes = index.map((i) => ({ method: 'GET', connection: 'fresh' as const, ...keyRequest(backend, keys[i]!) }));
  // A key's server does not depend on load or timing: both proxies can take their traffic at once.
  return { batch: { label: `${keys.length} keys × ${rounds}`, frontend, probes, options: { concurrency: HASH_CONCURRENCY }, proxiesAtOnce: true }, index };
}

/** Per key, the servers it reached in send order. */
export function serversPerKey(backend: BackendSpec, keyCount: number, index: readonly number[], responses: readonly ProbeResponse[]): KeyServers {
  const out: KeyServers = Array.from({ length: keyCount }, () => []);
  responses.forEach((r, i) => out[index[i]!]!.push(serverOf(backend, r)));
  return out;
}

/** The expected share per server: oracle, or exact weights for map-based hashing. */
export function expectedShares(backend: BackendSpec, oracleShares: Record<string, number> | undefined): { shares?: Record<string, number>; source: string } {
  if (oracleShares) return { shares: oracleShares, source: "HAProxy's hash over uniform keys, from the balance oracle" };
  if ((backend.hashType ?? 'map-based') === 'map-based') {
    const total = activeServers(backend).reduce((s, x) => s + x.weight, 0);
    return { shares: Object.fromEntries(activeServers(backend).map((s) => [s.name, s.weight / total])), source: 'the weights (a map-based table holds each server once per unit of weight)' };
  }
  return { source: 'unknown without the balance oracle: consistent-hash ring shares are not the weights' };
}

export function judgeHashSpread(
  backend: BackendSpec, keys: readonly HashKey[], reached: KeyServers, shares: Record<string, number> | undefined, source: string,
  stats: ModelContext['stats'], oracle: ModelContext['oracles']['balance'],
): Check[] {
  const first = reached.map((servers) => servers[0]);
  const asResponses: ProbeResponse[] = first.map((s) => ({
    status: s ? 200 : 0, servedBy: backend.servers.find((x) => x.name === s)?.app, body: '', sentAtMs: 0, doneAtMs: 0,
  }));
  const checks: Check[] = [judgeSticky(keys, reached)];
  checks.push(oracle ? judgeAgainstOracle('hash.model', backend, keys, first, oracle) : skippedCheck('hash.model', "each key on the server HAProxy's hash gives", 'no balance oracle wired (src/proxy/balance)'));
  if (!shares) checks.push(skippedCheck('hash.spread', 'keys spread by the expected shares', source));
  else if (keys.length < MIN_KEYS) checks.push(skippedCheck('hash.spread', 'keys spread by the expected shares', `only ${keys.length} keys`));
  else {
    const c = judgeDistribution('hash.spread', backend, asResponses, shares, stats, source);
    checks.push({ ...c, detail: `${c.detail} (one count per distinct key)` });
  }
  return checks;
}

/** Sends until every proxy answers `probe` from a server other than `stopped` (or from it again, when `back`). */
async function waitFor(ctx: ModelContext, frontend: string, backend: BackendSpec, probe: Batch['probes'][number], stopped: string, back: boolean): Promise<Map<ProxyKind, number | undefined>> {
  const started = Date.now();
  const done = new Map<ProxyKind, number | undefined>();
  while (Date.now() - started < WAIT_MS && done.size < ctx.proxies.length) {
    const rs = await ctx.send({ label: back ? 'waiting for the server to return' : 'waiting for the proxy to notice', frontend, probes: [probe], options: { timeoutMs: 5000 } });
    for (const [proxy, [r]] of rs) {
      const s = r ? serverOf(backend, r) : undefined;
      const ok = back ? s === stopped : s !== undefined && s !== stopped;
      if (ok && !done.has(proxy)) done.set(proxy, Date.now() - started);
    }
    if (done.size < ctx.proxies.length) await new Promise((res) => setTimeout(res, 500));
  }
  for (const p of ctx.proxies) if (!done.has(p)) done.set(p, undefined);
  return done;
}

export function hashModel(frontend: string, backend: BackendSpec): Model {
  return {
    name: algorithmLabel(backend),
    statisticalChecks: 2,
    changesServers: true,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const notes: string[] = [];
      const oracle = ctx.oracles.balance;
      const { shares, source } = expectedShares(backend, oracle?.shares(backend, ctx.rng.fork('hash-shares')));
      const probs = activeServers(backend).map((s) => shares?.[s.name] ?? s.weight);
      const wanted = atLeast(requiredSampleSize(probs, ctx.stats).n, ctx.minRequests);
      const { keys, note } = await makeKeys(ctx, backend, wanted, ctx.rng.fork('hash-keys'));
      if (note) notes.push(`${note}; power of the spread test ${powerAt(keys.length, probs, ctx.stats).toFixed(3)}`);
      ctx.onStep?.(`${algorithmLabel(backend)}: ${keys.length} keys × ${HASH_ROUNDS} rounds to ${frontend}`);
      const { batch, index } = planHash(frontend, backend, keys, HASH_ROUNDS, ctx.rng.fork('hash-order'));
      const first = await ctx.send(batch);
      const before = new Map<ProxyKind, KeyServers>();
      const perProxy: ModelResult['perProxy'] = new Map();
      for (const [proxy, rs] of first) {
        const reached = serversPerKey(backend, keys.length, index, rs);
        before.set(proxy, reached);
        const checks = [answeredCheck('hash.answered', backend, rs), ...judgeHashSpread(backend, keys, reached, shares, source, ctx.stats, oracle)];
        const n = keys.length;
        const outcome: ProxyOutcome = {
          checks, requests: rs.length,
          counts: countByServer(backend, rs.filter((_, i) => i < keys.length)),
          expectedCounts: shares ? Object.fromEntries(activeServers(backend).map((s) => [s.name, n * (shares[s.name] ?? 0)])) : undefined,
          served: tallyServed(backend, rs),
          evidence: {
            keyed: {
              // What the proxy hashed: the key, from the address the request really came from.
              contexts: index.map((k, i) => ({ ...keyContext(backend, keys[k]!), sourceAddress: clientAddressOf(rs[i]?.connection) ?? keyContext(backend, keys[k]!).sourceAddress })),
              keyOf: index, servers: rs.map((r) => serverOf(backend, r)), keys: keys.length, rounds: HASH_ROUNDS,
            },
          },
        };
        perProxy.set(proxy, outcome);
      }
      const crossChecks = before.size >= 2 ? [judgeParity(keys, before)] : [];
      const moved = await stopOne(ctx, frontend, backend, keys, before, shares);
      for (const [proxy, result] of moved.perProxy) {
        const o = perProxy.get(proxy);
        if (!o) continue;
        o.checks.push(...result.checks);
        o.requests += result.requests;
        if (result.requests) o.disrupted = true;
      }
      return { perProxy, notes: [...notes, ...moved.notes], crossChecks };
    },
  };
}

/** Both proxies on the same keys: the TypeScript proxy must pick HAProxy's server for every key (docs/architecture.md). */
export function judgeParity(keys: readonly HashKey[], before: Map<ProxyKind, KeyServers>): Check {
  const [[a, ra], [b, rb]] = [...before] as [ProxyKind, KeyServers][];
  const bad: string[] = [];
  let same = 0;
  keys.forEach((k, i) => {
    if (ra![i]![0] !== undefined && ra![i]![0] === rb![i]![0]) same++;
    else if (bad.length < 3) bad.push(`${k.value}: ${a} ${ra![i]![0] ?? 'none'}, ${b} ${rb![i]![0] ?? 'none'}`);
  });
  return {
    name: 'parity.hash',
    expected: `${b} sends every key to the server ${a} sends it to`,
    observed: `${same}/${keys.length} keys`,
    pass: keys.length > 0 && same === keys.length,
    detail: bad.length ? `differ: ${bad.join('; ')}` : 'same server for every key',
  };
}

/** Phase 2: stop one server, re-send every key once, start it again. */
async function stopOne(
  ctx: ModelContext, frontend: string, backend: BackendSpec, keys: readonly HashKey[], before: Map<ProxyKind, KeyServers>,
  shares: Record<string, number> | undefined,
): Promise<{ perProxy: Map<ProxyKind, { checks: Check[]; requests: number }>; notes: string[] }> {
  const hashType = backend.hashType ?? 'map-based';
  const perProxy = new Map<ProxyKind, { checks: Check[]; requests: number }>();
  const active = activeServers(backend);
  const victim = [...active].reverse().find((s) => s.check);
  const skip = (reason: string) => {
    for (const p of ctx.proxies) perProxy.set(p, { checks: [skippedCheck(`hash.${hashType}.moved-share`, 'the share of keys that move when one server stops', reason)], requests: 0 });
    return { perProxy, notes: [] };
  };
  if (active.length < 2) return skip('fewer than two servers');
  if (!victim) return skip('no server has `check`: the proxy cannot notice a stopped server');
  if (!ctx.faults) return skip('the runtime cannot stop a server (no fault injector given)');
  if (keys.length === 0) return skip('no keys');
  const firstKeyOn = (proxy: ProxyKind) => before.get(proxy)?.findIndex((servers) => servers[0] === victim.name) ?? -1;
  const probeFor = (i: number) => ({ method: 'GET', connection: 'fresh' as const, ...keyRequest(backend, keys[Math.max(0, i)]!) });
  const notes: string[] = [];
  ctx.onStep?.(`${algorithmLabel(backend)}: stopping ${victim.name} (${victim.app})`);
  await ctx.faults.stop(victim.app);
  let after: Map<ProxyKind, ProbeResponse[]>;
  let noticed: Map<ProxyKind, number | undefined>;
  try {
    noticed = await waitFor(ctx, frontend, backend, probeFor(firstKeyOn(ctx.proxies[0]!)), victim.name, false);
    after = await ctx.send({ label: 'every key once, one server down', frontend, probes: keys.map((k) => ({ method: 'GET', connection: 'fresh' as const, ...keyRequest(backend, k) })), options: { concurrency: HASH_CONCURRENCY }, proxiesAtOnce: true });
  } finally {
    await ctx.faults.start(victim.app);
  }
  // Wait for the server to take its keys back, so the lab is left as it was found.
  if (firstKeyOn(ctx.proxies[0]!) >= 0) {
    const back = await waitFor(ctx, frontend, backend, probeFor(firstKeyOn(ctx.proxies[0]!)), victim.name, true);
    for (const [proxy, ms] of back) if (ms === undefined) notes.push(`${proxy}: ${victim.name} was not back in rotation within ${WAIT_MS / 1000} s after its restart`);
  }
  for (const [proxy, rs] of after) {
    const beforeFirst = (before.get(proxy) ?? []).map((s) => s[0]);
    const afterServers = rs.map((r) => serverOf(backend, r));
    const moves = countMoves(beforeFirst, afterServers, victim.name);
    const checks: Check[] = [];
    const ms = noticed.get(proxy);
    if (ms === undefined) {
      checks.push({ name: 'hash.failover', expected: `the proxy routes around ${victim.name} within ${WAIT_MS / 1000} s`, observed: 'still sent to it, or no answer', pass: false, detail: 'health checks never marked the stopped server down' });
    }
    if (hashType === 'consistent') checks.push(judgeOnlyStoppedMoved(victim.name, moves));
    const share = expectedMovedShare(ctx, backend, victim.name, hashType, shares);
    checks.push(share.value === undefined
      ? skippedCheck(`hash.${hashType}.moved-share`, 'the share of keys that move when one server stops', share.source)
      : judgeMovedShare(hashType, share.value, share.source, moves, ctx.stats.alpha, active.length));
    if (ctx.oracles.balance) checks.push(judgeAgainstOracle('hash.model-after-stop', backend, keys, afterServers, ctx.oracles.balance, [victim.name]));
    perProxy.set(proxy, { checks, requests: rs.length });
    if (ms !== undefined) notes.push(`${proxy}: routed around stopped ${victim.name} after ${(ms / 1000).toFixed(1)} s`);
  }
  return { perProxy, notes };
}

/** What share of keys must move: the oracle over uniform keys, else the closed forms. */
function expectedMovedShare(ctx: ModelContext, backend: BackendSpec, stopped: string, hashType: string, shares: Record<string, number> | undefined): { value?: number; source: string } {
  const oracle = ctx.oracles.balance;
  const kind = keyKind(backend);
  if (oracle && kind) {
    const rng = ctx.rng.fork('moved-share');
    const sample = Array.from({ length: 20_000 }, () => keyContext(backend, { value: randomKeyValue(kind, rng) }));
    const a = oracle.assign(backend, sample);
    const b = oracle.assign(backend, sample, [stopped]);
    return { value: a.filter((s, i) => s !== b[i]).length / sample.length, source: 'balance oracle over 20 000 uniform keys' };
  }
  if (hashType === 'consistent') {
    return shares?.[stopped] !== undefined
      ? { value: shares[stopped], source: "the stopped server's share" }
      : { source: "the stopped server's ring share is unknown without the balance oracle" };
  }
  const value = mapBasedMovedShare(backend, stopped);
  return value === undefined
    ? { source: 'the map layout decides it here (table sizes not coprime); needs the balance oracle' }
    : { value, source: '1 − Σ w²/(W·W′) for a map-based table' };
}
