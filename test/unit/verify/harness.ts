/** Runs one model against a fake lab, as run.ts would, and returns one proxy's outcome. */
import type { ProxyKind } from '../../../src/lab-schema/types.js';
import type { Model, ModelContext, ProxyOutcome, FaultInjector } from '../../../src/verify/models/types.js';
import type { BalanceOracle, RouteOracle } from '../../../src/verify/oracles.js';
import { createRng } from '../../../src/verify/rng.js';
import type { FakeLab } from './fakes.js';
import type { Check } from '../../../src/verify/report/types.js';

export async function runModel(model: Model, lab: FakeLab, options: {
  oracles?: { balance?: BalanceOracle; route?: RouteOracle };
  faults?: FaultInjector;
  proxies?: ProxyKind[];
  alpha?: number;
  minRequests?: number;
} = {}): Promise<{ outcomes: Map<ProxyKind, ProxyOutcome>; notes: string[] }> {
  const proxies = options.proxies ?? ['haproxy'];
  const ctx: ModelContext = {
    spec: lab.instance.spec, instance: lab.instance, prober: lab.prober, proxies, rng: createRng('model-test'),
    minRequests: options.minRequests, stats: { alpha: options.alpha ?? 0.01, power: 0.95, skew: 0.2 },
    oracles: options.oracles ?? {}, faults: options.faults,
    async send(batch) {
      const out = new Map();
      for (const proxy of proxies) out.set(proxy, await lab.prober.send(batch.probes.map((p) => ({ ...p, proxy, frontend: batch.frontend })), batch.options));
      return out;
    },
  };
  const result = await model.run(ctx);
  return { outcomes: result.perProxy, notes: result.notes };
}

export function failing(checks: readonly Check[]): string[] {
  return checks.filter((c) => !c.pass && !c.skipped).map((c) => c.name);
}

export function byName(checks: readonly Check[], name: string): Check {
  const c = checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${checks.map((x) => x.name).join(', ')}`);
  return c;
}
