/**
 * leastconn (ep06: app1 and app3 sleep 5 s, app2 answers at once). Under concurrent load a
 * slow server keeps its connections for seconds, so least-connections sends the excess to
 * the fast one. What is asserted, precisely:
 *
 *   H0: the fast servers' combined share of requests is ≤ their share of the weight (p0,
 *       1/3 here) — what a load-blind algorithm (roundrobin, random) gives;
 *   the check passes when the one-sided exact binomial test rejects H0 at α.
 *
 * The traffic: C = 12 clients in parallel, n requests in all, n computed so that the test
 * has the requested power when the true share is p1 = p0 + (1 − p0)/2 (the fast servers take
 * at least half of the excess), and n ≥ 4C so that the excess exists: the first C requests
 * arrive together and spread evenly; only later ones can prefer the idle server. Time is
 * bounded by the slow servers: about one delay per wave of C/N clients stuck on them.
 */
import type { AppSpec, BackendSpec, LabSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { activeServers, answeredCheck, countByServer, fmtP, fmtShare, inFlightAtSends, serverOf, serverSequence } from '../observe.js';
import { fixedContext } from '../candidates/evidence.js';
import { skippedCheck, type Check } from '../report/types.js';
import { binomialSampleSize, binomialTestGreater } from '../statistics.js';
import { atLeast, tallyServed, type Batch, type Model, type ModelContext, type ModelResult, type ProxyOutcome, type StatsPolicy } from './types.js';

export const LEASTCONN_CLIENTS = 12;

function delayOf(spec: LabSpec, app: string): number {
  return spec.apps.find((a: AppSpec) => a.name === app)?.delaySeconds ?? 0;
}

/** The servers that answer fastest, when some are slower; empty when all are alike. */
export function fastServers(spec: LabSpec, backend: BackendSpec): string[] {
  const servers = activeServers(backend);
  const delays = servers.map((s) => delayOf(spec, s.app));
  const min = Math.min(...delays);
  const max = Math.max(...delays);
  if (min === max) return [];
  return servers.filter((_, i) => delays[i] === min).map((s) => s.name);
}

/** p0: the fast servers' share of the weight. */
export function fastWeightShare(backend: BackendSpec, fast: readonly string[]): number {
  const servers = activeServers(backend);
  const total = servers.reduce((s, x) => s + x.weight, 0);
  return servers.filter((s) => fast.includes(s.name)).reduce((s, x) => s + x.weight, 0) / total;
}

export function leastconnRequests(p0: number, stats: StatsPolicy, minRequests?: number): number {
  const p1 = p0 + (1 - p0) / 2;
  const n = binomialSampleSize(p0, p1, { alpha: stats.alpha, power: stats.power });
  return atLeast(Math.max(n, 4 * LEASTCONN_CLIENTS), minRequests);
}

export function planLeastconn(spec: LabSpec, frontend: string, backend: BackendSpec, count: number): Batch {
  const maxDelay = Math.max(0, ...activeServers(backend).map((s) => delayOf(spec, s.app)));
  return {
    label: `${LEASTCONN_CLIENTS} concurrent clients`,
    frontend,
    probes: Array.from({ length: count }, () => ({ method: 'GET', path: '/', connection: 'fresh' as const })),
    options: { concurrency: LEASTCONN_CLIENTS, timeoutMs: maxDelay * 1000 + 15_000 },
  };
}

export function judgeFastShare(spec: LabSpec, backend: BackendSpec, responses: readonly ProbeResponse[], alpha: number): Check {
  const name = 'leastconn.fast-takes-excess';
  const fast = fastServers(spec, backend);
  if (fast.length === 0) {
    return skippedCheck(name, 'fast servers take the excess', 'every server answers equally fast: there is no excess to take');
  }
  const p0 = fastWeightShare(backend, fast);
  const answered = responses.filter((r) => serverOf(backend, r) !== undefined);
  const k = answered.filter((r) => fast.includes(serverOf(backend, r)!)).length;
  const n = answered.length;
  const p = n > 0 ? binomialTestGreater(k, n, p0) : 1;
  const peaks = peakInFlight(backend, responses);
  return {
    name,
    expected: `${fast.join('+')} share > ${fmtShare(p0)} (a load-blind algorithm's share), one-sided exact binomial at α = ${alpha.toPrecision(3)}`,
    observed: `share ${n ? fmtShare(k / n) : '—'} (${k}/${n})`,
    statistic: k,
    pValue: p,
    pass: n > 0 && p < alpha,
    detail: `p = ${fmtP(p)}; ${LEASTCONN_CLIENTS} concurrent clients; peak in-flight per server (client-side): ${peaks}`,
  };
}

/** Peak concurrent requests per server, reconstructed from send/answer times. */
export function peakInFlight(backend: BackendSpec, responses: readonly ProbeResponse[]): string {
  const labels = serverSequence(backend, responses);
  const peak = new Map<string, number>();
  for (const { load } of inFlightAtSends(labels, responses)) for (const [s, n] of load) peak.set(s, Math.max(peak.get(s) ?? 0, n));
  return activeServers(backend).map((s) => `${s.name} ${peak.get(s.name) ?? 0}`).join(', ');
}

/**
 * How long each server takes to answer `/`: its app's delay, on top of what the fastest
 * servers were seen to take (the median round trip through the proxy).
 */
export function serviceTimes(spec: LabSpec, backend: BackendSpec, responses: readonly ProbeResponse[]): Record<string, number> {
  const delays = new Map(backend.servers.map((s) => [s.name, delayOf(spec, s.app) * 1000]));
  const least = Math.min(...delays.values());
  const quick = responses.filter((r) => { const s = serverOf(backend, r); return s !== undefined && delays.get(s) === least; })
    .map((r) => r.doneAtMs - r.sentAtMs).sort((a, b) => a - b);
  const base = quick.length ? Math.max(0.1, quick[Math.floor(quick.length / 2)]!) : 1;
  return Object.fromEntries([...delays].map(([s, d]) => [s, d + base]));
}

export function judgeLeastconn(spec: LabSpec, backend: BackendSpec, responses: readonly ProbeResponse[], alpha: number): ProxyOutcome {
  return {
    checks: [answeredCheck('leastconn.answered', backend, responses), judgeFastShare(spec, backend, responses, alpha)],
    requests: responses.length,
    counts: countByServer(backend, responses),
    served: tallyServed(backend, responses),
    evidence: {
      loaded: { clients: LEASTCONN_CLIENTS, context: fixedContext(responses, '/'), servers: serverSequence(backend, responses), serviceMs: serviceTimes(spec, backend, responses) },
    },
  };
}

export function leastconnModel(frontend: string, backend: BackendSpec): Model {
  return {
    name: 'leastconn',
    // +1: the candidates check's test of the configured algorithm's simulated share.
    statisticalChecks: 2,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const fast = fastServers(ctx.spec, backend);
      const p0 = fast.length ? fastWeightShare(backend, fast) : 1 / Math.max(1, activeServers(backend).length);
      const count = leastconnRequests(Math.min(p0, 0.9), ctx.stats, ctx.minRequests);
      ctx.onStep?.(`leastconn: ${count} requests from ${LEASTCONN_CLIENTS} concurrent clients to ${frontend}`);
      const responses = await ctx.send(planLeastconn(ctx.spec, frontend, backend, count));
      const perProxy: ModelResult['perProxy'] = new Map();
      for (const [proxy, rs] of responses) perProxy.set(proxy, judgeLeastconn(ctx.spec, backend, rs, ctx.stats.alpha));
      return { perProxy, notes: [] };
    },
  };
}
