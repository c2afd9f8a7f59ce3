/**
 * What the verifier asks of the rest of haplab to know what MUST happen, kept to two small
 * interfaces so that models can be unit-tested against stubs and the real implementations
 * are wired in one place (run.ts options):
 *  - BalanceOracle: haplab's own balancers (src/proxy/balance), which differential tests
 *    prove identical to HAProxy 2.6; `balancerOracle(createBalancer)` adapts them.
 *  - RouteOracle: the ACL evaluator (src/proxy/acl). The expectation is computed from the
 *    lab SPEC's acls/rules, never from the running haproxy.cfg, so a broken config cannot
 *    agree with itself.
 * A check whose oracle is missing is reported as skipped with that reason, never passed.
 */
import type { BackendSpec, FrontendSpec } from '../lab-schema/types.js';
import type { Balancer, LbServer, PickContext } from '../proxy/balance/types.js';
import type { Rng } from './rng.js';

export interface BalanceOracle {
  /** The servers (names) a freshly started balancer picks for `count` consecutive key-less requests. */
  sequence(backend: BackendSpec, count: number): string[];
  /**
   * For each key, the server a fresh balancer picks (undefined: none usable). Servers named
   * in `down` are marked down first, as health checks would.
   */
  assign(backend: BackendSpec, keys: readonly PickContext[], down?: readonly string[]): (string | undefined)[];
  /**
   * Long-run shares per server under no load, by server name: for random, the probability
   * of each pick; for hashing, the share of uniformly random keys. (Neither is exactly
   * proportional to the weights on HAProxy's consistent-hash ring.)
   */
  shares(backend: BackendSpec, rng: Rng): Record<string, number>;
  /**
   * A fresh balancer for any variant of a backend, with its servers (which the caller loads
   * and unloads): candidates/ replays every candidate algorithm through it. Absent in
   * stand-ins that only know the configured order; the candidates check is then skipped.
   */
  balancer?(backend: BackendSpec, random?: () => number): { balancer: Balancer; servers: LbServer[] };
}

/** The request as the ACL evaluator sees it. */
export interface RouteRequest {
  method: string;
  /** Path with query string. */
  path: string;
  /** Header names in any case. */
  headers: Record<string, string>;
  sourceAddress: string;
}

/** What the frontend's rules decide for a request. */
export type RouteDecision =
  | { kind: 'deny'; status: number }
  | { kind: 'backend'; backend: string };

export interface RouteOracle {
  decide(frontend: FrontendSpec, request: RouteRequest): RouteDecision;
}
