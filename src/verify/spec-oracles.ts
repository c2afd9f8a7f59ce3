/**
 * The real oracles behind the verifier's models, built from the lab SPEC: haplab's own
 * balancers (proven identical to HAProxy 2.6 by the parity tests) and its ACL evaluator,
 * run on a haproxy.cfg rendered from the spec — never the lab's file on disk, so a config
 * changed behind the spec's back cannot agree with itself.
 *
 * The route oracle decides from the FrontendSpec it is given (its acls, rules and default
 * backend), rendered with the spec's backends: the spec's own frontends give the lab's
 * decisions, and a copy with one line changed gives what that change would decide, which
 * is how ACL coverage (models/acl-coverage.ts) proves that a probe can catch each line.
 */
import { createBalancer } from '../proxy/balance/index.js';
import { routeRequest, type RoutableProxy } from '../proxy/acl/index.js';
import { parseConfig } from '../proxy/config/index.js';
import { renderHaproxyCfg } from '../render/haproxy-cfg.js';
import type { FrontendSpec, LabSpec } from '../lab-schema/types.js';
import { balancerOracle } from './balance-oracle.js';
import type { BalanceOracle, RouteOracle } from './oracles.js';

interface Routable {
  proxy: RoutableProxy;
  backends: ReadonlyMap<string, RoutableProxy>;
}

export function specOracles(spec: LabSpec): { balance: BalanceOracle; route: RouteOracle } {
  const byObject = new WeakMap<FrontendSpec, Routable>();
  const byContent = new Map<string, Routable>();
  const routable = (frontend: FrontendSpec): Routable => {
    const known = byObject.get(frontend);
    if (known) return known;
    const key = JSON.stringify([frontend.name, frontend.mode, frontend.acls ?? [], frontend.rules ?? [], frontend.defaultBackend]);
    let found = byContent.get(key);
    if (!found) {
      // In its own place, so that the defaults (mode from the first frontend) stay the lab's.
      const frontends = spec.frontends.some((f) => f.name === frontend.name)
        ? spec.frontends.map((f) => (f.name === frontend.name ? frontend : f))
        : [...spec.frontends, frontend];
      const cfg = parseConfig(renderHaproxyCfg({ ...spec, frontends }), { file: `${spec.id} (rendered from lab.yaml)`, env: {} });
      const proxy = cfg.frontends.find((f) => f.name === frontend.name);
      if (!proxy) throw new Error(`frontend ${frontend.name} is not in the rendered config`);
      found = { proxy, backends: cfg.backends };
      byContent.set(key, found);
    }
    byObject.set(frontend, found);
    return found;
  };
  return {
    balance: balancerOracle(createBalancer),
    route: {
      decide(frontend, request) {
        const { proxy, backends } = routable(frontend);
        const decision = routeRequest(proxy, {
          method: request.method,
          uri: request.path,
          headers: request.headers,
          sourceAddress: request.sourceAddress,
          layer4Only: frontend.mode === 'tcp',
        }, backends);
        if (decision.action === 'deny') return { kind: 'deny', status: decision.status };
        if (decision.action === 'backend') return { kind: 'backend', backend: decision.backend };
        throw new Error(`frontend ${frontend.name}: unexpected decision ${decision.action}`);
      },
    },
  };
}
