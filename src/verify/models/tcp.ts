/**
 * mode tcp (ep02): HAProxy balances connections, not requests. The traffic is C TCP
 * connections opened one after another, each carrying k HTTP/1.1 requests kept alive
 * (the apps serve with waitress, which keeps connections open):
 *  - tcp.forwarded: every request reaches an app and its answer comes back (the route's text);
 *  - tcp.per-connection: each connection is one pick, and the picks follow the backend's
 *    rotation (round-robin checks over connections, against the balance oracle's sequence);
 *  - tcp.keepalive-sticks: the k requests of each connection all reach the server that
 *    connection was given. A proxy that balances each request (a frontend in mode http)
 *    spreads them: C and k are computed so that it is caught with probability ≥ 1 − α.
 *    A connection the apps close after one answer proves nothing, so it fails the check
 *    (with that reason); it is never skipped.
 */
import type { BackendSpec, LabSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import type { BalanceOracle } from '../oracles.js';
import { activeServers, answerLabel, serverOf } from '../observe.js';
import type { Check } from '../report/types.js';
import { judgeRoundRobin, roundRobinRequests } from './roundrobin.js';
import { cycleLength } from './rotation.js';
import { tallyServed, type Batch, type Model, type ModelContext, type ModelResult, type ProxyOutcome } from './types.js';

/** How many connections, and requests on each, and what that buys. */
export interface KeepalivePlan {
  connections: number;
  requestsPerConnection: number;
  /**
   * The chance that a proxy picking each request independently by weight would still give
   * every connection one server (Σ pᵢᵏ)^C: at most α.
   */
  missChance: number;
  /** The α that missChance was held under. */
  alpha: number;
  /**
   * The longest run of one server in the backend's rotation, when the oracle gives it: k
   * exceeds it, so a proxy rotating per request spreads every connection, for certain.
   */
  longestRun?: number;
}

/** Σ pᵢᵏ, pᵢ = wᵢ / Σw: the chance that k independent weighted picks all land on one server. */
export function sameServerChance(weights: readonly number[], k: number): number {
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.reduce((s, w) => s + (w / total) ** k, 0);
}

/** The longest stretch of one value repeated in a row. */
export function longestRun(sequence: readonly string[]): number {
  let best = 0;
  let run = 0;
  sequence.forEach((x, i) => {
    run = i > 0 && sequence[i - 1] === x ? run + 1 : 1;
    best = Math.max(best, run);
  });
  return best;
}

/** Beyond this many requests per connection the search stops: (Σ pᵢᵏ) has long flattened. */
const MAX_EXTRA_REQUESTS = 62;

/**
 * The fewest requests (C × k) such that:
 *  - (Σ pᵢᵏ)^C ≤ α: a per-request proxy picking at random by weight is caught with
 *    probability ≥ 1 − α (it escapes only if every connection happens to stay on one server);
 *  - k > the rotation's longest run (when `rotation` is given): a per-request round robin —
 *    what HAProxy does in mode http — puts k consecutive picks on a connection, which then
 *    always span two servers;
 *  - C ≥ `minConnections` (the rotation checks' whole cycles), rounded up to whole cycles of
 *    `cycle`, and C × k ≥ `minRequests` (--requests).
 */
export function keepalivePlan(
  weights: readonly number[], alpha: number,
  options: { rotation?: readonly string[]; minConnections?: number; cycle?: number; minRequests?: number } = {},
): KeepalivePlan {
  const run = options.rotation && options.rotation.length > 0 ? longestRun(options.rotation) : undefined;
  const fewest = Math.max(2, (run ?? 1) + 1);
  const cycle = Math.max(1, options.cycle ?? 1);
  let best: KeepalivePlan | undefined;
  for (let k = fewest; k <= fewest + MAX_EXTRA_REQUESTS; k++) {
    const q = sameServerChance(weights, k);
    let c = q <= 0 ? 1 : q >= 1 ? Infinity : Math.ceil(Math.log(alpha) / Math.log(q));
    // Floating point may leave q^c a hair above α.
    while (Number.isFinite(c) && q ** c > alpha) c++;
    c = Math.max(c, options.minConnections ?? 1, Math.ceil((options.minRequests ?? 0) / k), 1);
    c = Math.ceil(c / cycle) * cycle;
    if (Number.isFinite(c) && (!best || c * k < best.connections * best.requestsPerConnection)) {
      best = { connections: c, requestsPerConnection: k, missChance: q ** c, alpha, ...(run === undefined ? {} : { longestRun: run }) };
    }
  }
  if (!best) throw new Error('keepalivePlan: one server takes every pick, so no per-request balancing can be told apart');
  return best;
}

export function planTcp(frontend: string, plan: KeepalivePlan): Batch {
  const probes = Array.from({ length: plan.connections }, (_, c) =>
    Array.from({ length: plan.requestsPerConnection }, () => ({ method: 'GET', path: '/', connection: 'keepalive' as const, session: `c${c}` }))).flat();
  return { label: `${plan.connections} connections × ${plan.requestsPerConnection} requests kept alive`, frontend, probes, options: { concurrency: 1 } };
}

/** The responses of each planned connection, in order (the plan's probes are grouped so). */
export function byPlannedConnection(plan: KeepalivePlan, responses: readonly ProbeResponse[]): ProbeResponse[][] {
  const k = plan.requestsPerConnection;
  return Array.from({ length: Math.ceil(responses.length / k) }, (_, c) => responses.slice(c * k, (c + 1) * k));
}

/**
 * One response per TCP connection that really carried traffic, in the order they were
 * opened: the proxy's picks. A response without a connection (no answer) stands alone.
 */
export function connectionPicks(responses: readonly ProbeResponse[]): ProbeResponse[] {
  const seen = new Set<string>();
  return responses.filter((r) => {
    if (r.connection === undefined) return true;
    if (seen.has(r.connection)) return false;
    seen.add(r.connection);
    return true;
  });
}

/** The text the app behind `server` answers on "/", when the spec gives one. */
function rootText(spec: LabSpec, backend: BackendSpec, server: string): string | undefined {
  const app = spec.apps.find((a) => a.name === backend.servers.find((s) => s.name === server)?.app);
  return app?.routes.find((r) => r.path === '/')?.text;
}

export function judgeForwarded(spec: LabSpec, backend: BackendSpec, responses: readonly ProbeResponse[]): Check {
  const bad = responses.filter((r) => {
    const server = serverOf(backend, r);
    if (!(r.status >= 200 && r.status < 300) || !server) return true;
    const text = rootText(spec, backend, server);
    return text !== undefined && !r.body.includes(text);
  });
  return {
    name: 'tcp.forwarded',
    expected: "each request answered by a backend app with its text (e.g. \"" + (rootText(spec, backend, activeServers(backend)[0]?.name ?? '') ?? '…') + '")',
    observed: `${responses.length - bad.length}/${responses.length}`,
    pass: responses.length > 0 && bad.length === 0,
    detail: bad.length === 0 ? 'raw TCP forwarded both ways' : `first failure: ${answerLabel(backend, bad[0]!)}${bad[0]!.error ? ` (${bad[0]!.error})` : ''}`,
  };
}

/** Why a pass means something: what a per-request proxy would have shown. */
function power(plan: KeepalivePlan): string {
  const random = `picking each request at random by weight it would have kept every connection on one server with probability ${plan.missChance.toExponential(1)} (≤ α ${plan.alpha})`;
  const rotation = plan.longestRun === undefined
    ? 'the rotation\'s longest run is unknown without the balance oracle'
    : `rotating per request (mode http) it would have spread every connection, since ${plan.requestsPerConnection} consecutive picks exceed the rotation's longest run of ${plan.longestRun}`;
  return `a proxy balancing requests would have been caught: ${rotation}; ${random}`;
}

export function judgeKeepalive(backend: BackendSpec, plan: KeepalivePlan, planned: readonly (readonly ProbeResponse[])[]): Check {
  const name = 'tcp.keepalive-sticks';
  const k = plan.requestsPerConnection;
  const expected = `each of ${plan.connections} connections: its ${k} kept-alive requests answered by the one server it was given`;
  const all = planned.flat();
  const unanswered = all.filter((r) => !(r.status >= 200 && r.status < 300) || serverOf(backend, r) === undefined);
  // A planned connection that rode several TCP connections was closed early, by the app or the proxy.
  const split = planned.filter((rs) => new Set(rs.map((r) => r.connection)).size > 1);
  const servers = new Map<string, Set<string>>();
  // What answered on each TCP connection; a request that got no answer names no server.
  for (const r of all) if (r.connection !== undefined && r.status !== 0) servers.set(r.connection, (servers.get(r.connection) ?? new Set()).add(answerLabel(backend, r)));
  const mixed = [...servers.entries()].filter(([, s]) => s.size > 1);
  const carried = all.filter((r) => r.connection !== undefined && r.status !== 0).length;
  const observed = `${all.length} requests on ${servers.size} TCP connections (${plan.connections} planned); ${mixed.length} reached more than one server`;
  const fail = (detail: string): Check => ({ name, expected, observed, pass: false, detail });
  if (all.length === 0) return fail('no request was sent');
  if (mixed.length > 0) {
    const [connection, set] = mixed[0]!;
    return fail(`connection ${connection} was answered by ${[...set].join(', ')}: the proxy balanced each request, not each connection (a frontend in mode http does)`);
  }
  if (unanswered.length > 0) {
    const first = unanswered[0]!;
    return fail(`${unanswered.length} requests not answered by a server of ${backend.name}; first: ${answerLabel(backend, first)}${first.error ? ` (${first.error})` : ''}`);
  }
  if (servers.size >= carried) {
    return fail('no connection carried two requests: the server side closed every connection after one answer, so balancing per connection could not be shown (Flask\'s development server does that, with "Connection: close"; the apps keep connections alive when they serve with waitress: install python3-waitress)');
  }
  if (split.length > 0) {
    return fail(`${split.length} of ${planned.length} connections were closed before their ${k} requests were answered (first: requests on ${[...new Set(split[0]!.map((r) => r.connection))].join(', ')})`);
  }
  return { name, expected, observed, pass: true, detail: `the proxy picked a server once per connection; ${power(plan)}` };
}

export function judgeTcp(spec: LabSpec, backend: BackendSpec, plan: KeepalivePlan, responses: readonly ProbeResponse[], oracle: BalanceOracle | undefined): ProxyOutcome {
  const picks = connectionPicks(responses);
  const rotation = backend.balance === 'roundrobin' || backend.balance === 'static-rr'
    ? judgeRoundRobin('tcp.per-connection', backend, picks, oracle)
    : undefined;
  const checks: Check[] = [judgeForwarded(spec, backend, responses)];
  if (rotation) checks.push(...rotation.checks.filter((c) => !c.name.endsWith('.answered')));
  if (activeServers(backend).length > 1) checks.push(judgeKeepalive(backend, plan, byPlannedConnection(plan, responses)));
  return {
    checks,
    requests: responses.length,
    counts: rotation?.counts,
    expectedCounts: rotation?.expectedCounts,
    // The proxy's lbtot counts picks: one per connection in mode tcp.
    served: tallyServed(backend, picks),
  };
}

/** C and k for this backend (see keepalivePlan), with the rotation's checks' own minimum. */
export function tcpPlanFor(backend: BackendSpec, alpha: number, oracle: BalanceOracle | undefined, minRequests?: number): KeepalivePlan {
  const rotates = backend.balance === 'roundrobin' || backend.balance === 'static-rr';
  const servers = activeServers(backend);
  // One server: nothing to balance, only forwarding to show, kept alive as for many servers.
  if (servers.length < 2) return { connections: Math.max(3, Math.ceil((minRequests ?? 0) / 2)), requestsPerConnection: 2, missChance: 1, alpha };
  const cycle = cycleLength(backend);
  return keepalivePlan(servers.map((s) => s.weight), alpha, {
    rotation: rotates ? oracle?.sequence(backend, 4 * cycle) : undefined,
    minConnections: rotates ? roundRobinRequests(backend, alpha) : undefined,
    cycle: rotates ? cycle : undefined,
    minRequests,
  });
}

export function tcpModel(frontend: string, backend: BackendSpec): Model {
  return {
    name: `tcp (${backend.balance})`,
    // The checks are exact: a correct proxy never fails them by chance. α bounds misses only.
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const plan = tcpPlanFor(backend, ctx.stats.alpha, ctx.oracles.balance, ctx.minRequests);
      ctx.onStep?.(`tcp: ${plan.connections} connections one after another, ${plan.requestsPerConnection} requests kept alive on each, to ${frontend}`);
      const responses = await ctx.send(planTcp(frontend, plan));
      const perProxy: ModelResult['perProxy'] = new Map();
      for (const [proxy, rs] of responses) perProxy.set(proxy, judgeTcp(ctx.spec, backend, plan, rs, ctx.oracles.balance));
      return { perProxy, notes: [] };
    },
  };
}
