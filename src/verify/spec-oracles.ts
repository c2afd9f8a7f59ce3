/**
 * The real oracles behind the verifier's models, built from the lab SPEC: haplab's own
 * balancers (proven identical to HAProxy 2.6 by the parity tests) and its ACL evaluator,
 * run on a haproxy.cfg rendered from the spec — never the lab's file on disk, so a config
 * changed behind the spec's back cannot agree with itself.
 */
import { createBalancer } from '../proxy/balance/index.js';
import { routeRequest } from '../proxy/acl/index.js';
import { parseConfig } from '../proxy/config/index.js';
import type { ProxyConfig } from '../proxy/config/index.js';
import { renderHaproxyCfg } from '../render/haproxy-cfg.js';
import type { LabSpec } from '../spec/types.js';
import { balancerOracle } from './balance-oracle.js';
import type { BalanceOracle, RouteOracle } from './oracles.js';

export function specOracles(spec: LabSpec): { balance: BalanceOracle; route: RouteOracle } {
  let config: ProxyConfig | undefined;
  const model = () => (config ??= parseConfig(renderHaproxyCfg(spec), { file: `${spec.id} (rendered from lab.yaml)`, env: {} }));
  return {
    balance: balancerOracle(createBalancer),
    route: {
      decide(frontend, request) {
        const cfg = model();
        const proxy = cfg.frontends.find((f) => f.name === frontend.name);
        if (!proxy) throw new Error(`frontend ${frontend.name} is not in the rendered config`);
        const decision = routeRequest(proxy, {
          method: request.method,
          uri: request.path,
          headers: request.headers,
          sourceAddress: request.sourceAddress,
          layer4Only: frontend.mode === 'tcp',
        }, cfg.backends);
        if (decision.action === 'deny') return { kind: 'deny', status: decision.status };
        if (decision.action === 'backend') return { kind: 'backend', backend: decision.backend };
        throw new Error(`frontend ${frontend.name}: unexpected decision ${decision.action}`);
      },
    },
  };
}
