/**
 * mode tcp (ep02): HAProxy balances connections, not requests.
 *  - tcp.forwarded: raw TCP reaches the app and its answer comes back (the route's text);
 *  - tcp.per-connection: one request per new connection, so each connection is a pick, and
 *    the picks follow the backend's rotation (round-robin checks, over connections);
 *  - tcp.keepalive-sticks: several requests written on ONE connection all reach the server
 *    that connection was given. Flask's development server closes every connection after
 *    one answer, so with the seed's apps no connection carries two requests: the check is
 *    then skipped with that reason, never passed.
 */
import type { BackendSpec, LabSpec } from '../../spec/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import type { BalanceOracle } from '../oracles.js';
import { activeServers, answerLabel, serverOf } from '../observe.js';
import type { Check } from '../report/types.js';
import { judgeRoundRobin, roundRobinRequests } from './roundrobin.js';
import { tallyServed, type Batch, type Model, type ModelContext, type ModelResult, type ProxyOutcome } from './types.js';

/** Requests written on the one kept-alive connection. */
export const KEEPALIVE_REQUESTS = 6;

export function planTcp(frontend: string, connections: number): { perConnection: Batch; keepalive: Batch } {
  return {
    perConnection: {
      label: 'one request per connection',
      frontend,
      probes: Array.from({ length: connections }, () => ({ method: 'GET', path: '/', connection: 'tcp' as const })),
      options: { concurrency: 1 },
    },
    keepalive: {
      label: 'one kept-alive connection',
      frontend,
      probes: Array.from({ length: KEEPALIVE_REQUESTS }, () => ({ method: 'GET', path: '/', connection: 'keepalive' as const })),
      options: { concurrency: 1 },
    },
  };
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
    expected: "each connection answered by a backend app with its text (e.g. \"" + (rootText(spec, backend, activeServers(backend)[0]?.name ?? '') ?? '…') + '")',
    observed: `${responses.length - bad.length}/${responses.length}`,
    pass: responses.length > 0 && bad.length === 0,
    detail: bad.length === 0 ? 'raw TCP forwarded both ways' : `first failure: ${answerLabel(backend, bad[0]!)}${bad[0]!.error ? ` (${bad[0]!.error})` : ''}`,
  };
}

export function judgeKeepalive(backend: BackendSpec, responses: readonly ProbeResponse[]): Check {
  const name = 'tcp.keepalive-sticks';
  const expected = 'every request written on one connection answered by the server that connection was given';
  // Group by the client side of the connection: a connection the app closed after one answer
  // shows up as a new connection, and proves nothing about per-connection balancing.
  const byConnection = new Map<string, Set<string>>();
  for (const r of responses) {
    if (!r.connection) continue;
    const set = byConnection.get(r.connection) ?? new Set<string>();
    set.add(answerLabel(backend, r));
    byConnection.set(r.connection, set);
  }
  const reused = responses.filter((r) => r.connection).length - byConnection.size;
  if (byConnection.size === 0 || reused === 0) {
    return {
      name, expected, observed: `${responses.length} requests on ${byConnection.size || responses.length} connections`, pass: false,
      skipped: 'the app closed the connection after every answer (Flask\'s development server always sends "Connection: close"), so no connection carried two requests; tcp.per-connection shows the per-connection picks',
      detail: 'no connection was reused',
    };
  }
  const mixed = [...byConnection.entries()].filter(([, servers]) => servers.size > 1);
  const pass = mixed.length === 0 && responses.every((r) => serverOf(backend, r) !== undefined);
  return {
    name, expected,
    observed: `${responses.length} requests on ${byConnection.size} connections; ${mixed.length} reached more than one server`,
    pass,
    detail: pass ? 'the proxy picked a server once per connection' : mixed.length ? `connection ${mixed[0]![0]} reached ${[...mixed[0]![1]].join(', ')}: balanced per request` : 'not every request was answered',
  };
}

export function judgeTcp(spec: LabSpec, backend: BackendSpec, perConnection: readonly ProbeResponse[], keepalive: readonly ProbeResponse[], oracle: BalanceOracle | undefined): ProxyOutcome {
  const rotation = backend.balance === 'roundrobin' || backend.balance === 'static-rr'
    ? judgeRoundRobin('tcp.per-connection', backend, perConnection, oracle)
    : undefined;
  const checks: Check[] = [judgeForwarded(spec, backend, perConnection)];
  if (rotation) checks.push(...rotation.checks.filter((c) => !c.name.endsWith('.answered')));
  if (activeServers(backend).length > 1) checks.push(judgeKeepalive(backend, keepalive));
  return {
    checks,
    requests: perConnection.length + keepalive.length,
    counts: rotation?.counts,
    expectedCounts: rotation?.expectedCounts,
    served: tallyServed(backend, [...perConnection, ...keepalive]),
  };
}

export function tcpModel(frontend: string, backend: BackendSpec): Model {
  return {
    name: `tcp (${backend.balance})`,
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const connections = roundRobinRequests(backend, ctx.stats.alpha, ctx.minRequests);
      const plan = planTcp(frontend, Math.max(connections, 1));
      ctx.onStep?.(`tcp: ${connections} connections, then ${KEEPALIVE_REQUESTS} requests on one connection, to ${frontend}`);
      const a = await ctx.send(plan.perConnection);
      const b = await ctx.send(plan.keepalive);
      const perProxy: ModelResult['perProxy'] = new Map();
      for (const [proxy, rs] of a) perProxy.set(proxy, judgeTcp(ctx.spec, backend, rs, b.get(proxy) ?? [], ctx.oracles.balance));
      return { perProxy, notes: [] };
    },
  };
}
