/**
 * What a rate-limited frontend (ep12) must answer, computed by haplab's own proxy code —
 * its haproxy.cfg parser, stick tables and rule evaluation, run on a config rendered from
 * the SPEC on a simulated clock — never from the lab's file, so an edited file cannot agree
 * with itself. The plan:
 *  - K client addresses, staggered: address k starts `stagger` rounds after address k−1, so
 *    that later addresses get their answers while earlier ones are already refused (a
 *    counter shared by all clients would refuse them at once);
 *  - R = L + 2 requests per address, L the answers the rules allow in one period (found by
 *    simulation): L + 1 tells any other limit apart, one more shows that a refused request
 *    still counts (the refusal persists);
 *  - the same R again once the counters have emptied: two periods after the burst
 *    (HAProxy's freq_ctr still weighs the previous period during the next one).
 * Every count is exact, not statistical: a proxy that counts as HAProxy does gives exactly
 * this sequence when each address's burst fits in one period (the judge checks that it did).
 */
import type { FrontendSpec, LabSpec } from '../../lab-schema/types.js';
import { routeRequest } from '../../proxy/acl/index.js';
import { parseConfig } from '../../proxy/config/index.js';
import type { ProxySection } from '../../proxy/config/model.js';
import { stickTablesOf } from '../../proxy/stick-table/index.js';
import { renderHaproxyCfg } from '../../render/haproxy-cfg.js';

export interface RateLimitFacts {
  /** The period of the sc_http_req_rate the rules read (ms). */
  periodMs: number;
  /** Requests the rules let through per address in one period, from a standing start. */
  allowed: number;
  /** The status refused requests get. */
  status: number;
}

/** Addresses (the rule is about many clients at once: 4 show three overlaps). */
export const RATE_LIMIT_ADDRESSES = 4;
/** Beyond this many requests per address the simulation stops looking for a refusal. */
const MAX_SIMULATED = 10_000;

/** True when the frontend tracks clients in a stick table: the rate-limit model judges it, not the ACL one. */
export function isRateLimited(frontend: FrontendSpec): boolean {
  return frontend.stickTable !== undefined && (frontend.rules ?? []).some((r) => /^\s*http-request\s+track-sc[0-2]\b/.test(r));
}

function sectionOf(spec: LabSpec, frontend: FrontendSpec): { section: ProxySection; all: ProxySection[]; backends: ReadonlyMap<string, ProxySection> } {
  const cfg = parseConfig(renderHaproxyCfg(spec), { file: `${spec.id} (rendered from lab.yaml)`, env: {} });
  const section = cfg.frontends.find((f) => f.name === frontend.name);
  if (!section) throw new Error(`frontend ${frontend.name} is not in the rendered config`);
  return { section, all: cfg.proxies, backends: cfg.backends };
}

/**
 * The outcomes of `count` requests from one address, the i-th at `times[i]` ms: 'ok' when
 * the request reaches a backend, else the deny status. Runs haplab's proxy decision code.
 */
export function simulateAddress(spec: LabSpec, frontend: FrontendSpec, times: readonly number[], address = '10.0.0.1'): (number | 'ok')[] {
  const { all, section, backends } = sectionOf(spec, frontend);
  let now = 1_000_000;
  const tables = stickTablesOf(all, () => now);
  return times.map((t) => {
    now = 1_000_000 + t;
    const decision = routeRequest(section, { method: 'GET', uri: '/', headers: [], sourceAddress: address, counters: tables?.forRequest() }, backends);
    return decision.action === 'deny' ? decision.status : 'ok';
  });
}

/** The period and limit the spec's rules give, or why the frontend is not a rate limit haplab can judge. */
export function rateLimitFacts(spec: LabSpec, frontend: FrontendSpec): RateLimitFacts | { reason: string } {
  const { section } = sectionOf(spec, frontend);
  const periodMs = section.stickTable?.store.httpReqRatePeriod;
  if (periodMs === undefined) return { reason: `frontend ${frontend.name}'s stick table stores no http_req_rate` };
  const outcomes = simulateAddress(spec, frontend, new Array<number>(MAX_SIMULATED).fill(0));
  const allowed = outcomes.findIndex((o) => o !== 'ok');
  if (allowed < 0) return { reason: `frontend ${frontend.name}'s rules refuse nothing within ${MAX_SIMULATED} requests in one instant` };
  return { periodMs, allowed, status: outcomes[allowed] as number };
}

export interface PlannedRequest {
  address: number;
  /** Its place among its address's requests. */
  index: number;
}

/** The staggered send order: round by round, each started address sends its next request. */
export function staggeredOrder(addresses: number, perAddress: number, stagger: number): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  for (let round = 0; ; round++) {
    let unfinished = false;
    for (let a = 0; a < addresses; a++) {
      const index = round - a * stagger;
      if (index >= 0 && index < perAddress) out.push({ address: a, index });
      if (index < perAddress) unfinished = true;
    }
    if (!unfinished) return out;
  }
}

/** Requests per address and the stagger, from the allowed count: see the header. */
export function rateLimitSizes(allowed: number): { perAddress: number; stagger: number } {
  return { perAddress: allowed + 2, stagger: Math.max(1, Math.ceil(allowed / 2)) };
}
