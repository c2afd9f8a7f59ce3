/**
 * Evaluates conditions and routes a request through a frontend's rules, in HAProxy's
 * order (src/http_ana.c): the frontend's `http-request` rules (first deny/allow that
 * applies ends them), then `use_backend` rules (first match wins), then
 * `default_backend`; then, when the chosen backend is another proxy, its own
 * `http-request` rules. Pure: no I/O, so the verifier can predict what the proxy does.
 */
import { fetchSamples, uriPathWithQuery } from './fetch.js';
import type { Acl, Condition, RequestFacts, RouteDecision, Sample, SourceRef } from './types.js';
import type { TrackAction } from '../stick-table/types.js';
import { redirectTo, withHeader } from './request-edits.js';

/** The parts of a parsed proxy section the router needs (see config/model.ts). */
export interface RoutableProxy {
  name: string;
  /** A `listen` section is its own backend when nothing else is chosen. */
  capabilities: { frontend: boolean; backend: boolean };
  httpRequestRules: readonly HttpRequestRuleLike[];
  switchingRules: readonly { backend: string; condition?: Condition }[];
  defaultBackend?: { name: string };
  /** `stats uri` (or `stats enable` alone: /haproxy?stats). */
  statsUri?: string;
}

export interface HttpRequestRuleLike {
  action: 'deny' | 'allow' | 'track-sc' | 'redirect' | 'set-header';
  status: number;
  track?: TrackAction;
  redirect?: { scheme: string; code: number };
  header?: { name: string; value: string };
  condition?: Condition;
  where: SourceRef;
}

/** Caches fetched samples per request: one fetch per (fetch, args), however many ACLs use it. */
class SampleCache {
  /** Created on the first fetch: a request that meets no ACL allocates none. */
  private cache?: Map<string, readonly Sample[]>;
  constructor(private readonly request: RequestFacts) {}

  /** After a rule changed the request (set-header), fetch afresh. */
  forget(): void {
    this.cache = undefined;
  }

  samples(acl: Acl, index: number): readonly Sample[] {
    const fetch = acl.expressions[index]!.fetch;
    // Stick counters change as track-sc rules run: read them afresh (HAProxy's SMP_F_VOL_TEST).
    if (fetch.counter !== undefined || this.request.payload) return fetchSamples(fetch, this.request);
    const key = fetch.name === 'hdr' ? `hdr:${(fetch.headerName ?? '').toLowerCase()}:${fetch.occurrence ?? 0}` : fetch.name;
    const cache = (this.cache ??= new Map());
    let found = cache.get(key);
    if (!found) {
      found = fetchSamples(fetch, this.request);
      cache.set(key, found);
    }
    return found;
  }
}

/** One decision object per backend name, shared by every request routed there. */
const backendDecisions = new Map<string, RouteDecision>();

function toBackend(name: string): RouteDecision {
  let decision = backendDecisions.get(name);
  if (!decision) {
    decision = Object.freeze({ action: 'backend', backend: name }) as RouteDecision;
    backendDecisions.set(name, decision);
  }
  return decision;
}

function aclMatches(acl: Acl, cache: SampleCache): boolean {
  for (let k = 0; k < acl.expressions.length; k++) {
    if (acl.expressions[k]!.test(cache.samples(acl, k))) return true;
  }
  return false;
}

function evaluate(condition: Condition, cache: SampleCache): boolean {
  let result = false;
  for (const suite of condition.suites) {
    let all = true;
    for (const term of suite) {
      if (aclMatches(term.acl, cache) === term.negated) {
        all = false;
        break;
      }
    }
    if (all) {
      result = true;
      break;
    }
  }
  return condition.polarity === 'unless' ? !result : result;
}

export function evaluateCondition(condition: Condition | undefined, request: RequestFacts): boolean {
  return condition === undefined || evaluate(condition, new SampleCache(request));
}

function applies(condition: Condition | undefined, cache: SampleCache): boolean {
  return condition === undefined || evaluate(condition, cache);
}

/** Runs `http-request` rules; returns the deny that ends them, if any. */
function httpRequestVerdict(proxy: RoutableProxy, cache: SampleCache, request: RequestFacts): RouteDecision | undefined {
  for (const rule of proxy.httpRequestRules) {
    if (!applies(rule.condition, cache)) continue;
    if (rule.action === 'track-sc') {
      if (rule.track) request.counters?.track(rule.track, request.sourceAddress);
      continue;
    }
    if (rule.action === 'set-header' && rule.header) {
      request.headers = withHeader(request.headers, rule.header.name, rule.header.value);
      cache.forget();
      continue;
    }
    if (rule.action === 'redirect' && rule.redirect) return redirectTo(rule.redirect, request);
    if (rule.action === 'allow') return undefined;
    return { action: 'deny', status: rule.status, where: rule.where };
  }
  return undefined;
}

/**
 * Where this request goes: denied with a status, sent to a backend, or 503 for lack of
 * one. `backends` (name → proxy) lets the chosen backend's own http-request rules apply.
 */
export function routeRequest(
  frontend: RoutableProxy,
  request: RequestFacts,
  backends?: ReadonlyMap<string, RoutableProxy>,
): RouteDecision {
  const cache = new SampleCache(request);
  const http = !request.layer4Only;
  const denied = http ? httpRequestVerdict(frontend, cache, request) : undefined;
  if (denied) return denied;
  if (http && isStatsRequest(frontend, request)) return { action: 'stats', proxy: frontend.name };

  let backendName: string | undefined;
  for (const rule of frontend.switchingRules) {
    if (applies(rule.condition, cache)) {
      backendName = rule.backend;
      break;
    }
  }
  backendName ??= frontend.defaultBackend?.name ?? (frontend.capabilities.backend ? frontend.name : undefined);
  if (backendName === undefined) return { action: 'no-backend', status: 503 };

  const backend = backends?.get(backendName);
  if (http && backend && backend !== frontend) {
    const deniedByBackend = httpRequestVerdict(backend, cache, request);
    if (deniedByBackend) return deniedByBackend;
    if (isStatsRequest(backend, request)) return { action: 'stats', proxy: backend.name };
  }
  return toBackend(backendName);
}

const STATS_METHODS = new Set(['GET', 'HEAD', 'POST']);

/** HAProxy's http_stats_check_uri: GET/HEAD/POST whose path begins with the stats URI. */
export function isStatsRequest(proxy: RoutableProxy, request: RequestFacts): boolean {
  const prefix = proxy.statsUri;
  if (prefix === undefined || !STATS_METHODS.has(request.method)) return false;
  const subject = prefix.startsWith('/') ? uriPathWithQuery(request.uri) : request.uri;
  return subject !== undefined && subject.startsWith(prefix);
}
