/**
 * Rate limiting with a stick table (ep12): from several client addresses at once, each gets
 * exactly the answers the rules allow in one period and then the deny status; the others
 * are not affected; and two periods later each gets its whole allowance again. The plan and
 * its sizes are in rate-limit-plan.ts, the judging in rate-limit-judge.ts.
 *   ratelimit.FRONTEND.limit        L answers then the status, per address
 *   ratelimit.FRONTEND.independent  addresses still answered after another was refused
 *   ratelimit.FRONTEND.reset        the same sequence two periods later
 * Both proxies get the same traffic at the same time (each keeps its own table).
 */
import type { FrontendSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { skippedCheck } from '../report/types.js';
import { byAddress, judgeIndependent, judgeSequences } from './rate-limit-judge.js';
import { RATE_LIMIT_ADDRESSES, rateLimitFacts, rateLimitSizes, staggeredOrder, type PlannedRequest } from './rate-limit-plan.js';
import { tallyServed, type Model, type ModelContext, type ModelResult, type Probe, type ProxyOutcome } from './types.js';

/** Past two periods, this much more before the counters are read again: clocks tick in whole ms, and HAProxy's on each poll. */
const RESET_MARGIN_MS = 150;

export function rateLimitModel(frontends: FrontendSpec[]): Model {
  return {
    name: 'ratelimit',
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const perProxy: ModelResult['perProxy'] = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} } as ProxyOutcome]));
      const notes: string[] = [];
      for (const frontend of frontends) {
        const prefix = `ratelimit.${frontend.name}`;
        const facts = rateLimitFacts(ctx.spec, frontend);
        if ('reason' in facts) {
          for (const o of perProxy.values()) o.checks.push(skippedCheck(prefix, 'each address is limited as the rules say', facts.reason));
          continue;
        }
        const backend = ctx.spec.backends.find((b) => b.name === frontend.defaultBackend)!;
        const app = backend.servers[0]!.app;
        const { perAddress, stagger } = rateLimitSizes(facts.allowed);
        const addresses = await ctx.prober.clientAddresses(RATE_LIMIT_ADDRESSES);
        const planned: PlannedRequest[] = staggeredOrder(addresses.length, perAddress, stagger);
        // Each address is one session: its requests go one at a time on one connection (a new
        // one after a refusal closes it), so they arrive in the order they are judged in; the
        // addresses run side by side, so a slow machine stretches each burst by its own
        // requests only, not everyone's.
        const probes: Probe[] = planned.map((p) => ({ method: 'GET', path: '/', sourceAddress: addresses[p.address]!, connection: 'keepalive', session: `ratelimit-${p.address}` }));
        const batch = (label: string) => ({ label, frontend: frontend.name, probes, options: { concurrency: addresses.length }, proxiesAtOnce: true });

        ctx.onStep?.(`ratelimit: ${probes.length} requests from ${addresses.length} addresses to ${frontend.name}`);
        const burst = await ctx.send(batch(`rate-limit burst to ${frontend.name}`));
        const waitMs = 2 * facts.periodMs + RESET_MARGIN_MS;
        ctx.onStep?.(`ratelimit: waiting ${(waitMs / 1000).toFixed(1)} s for two periods to pass`);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        const again = await ctx.send(batch(`rate-limit after two periods to ${frontend.name}`));

        for (const proxy of ctx.proxies) {
          const o = perProxy.get(proxy)!;
          const first = byAddress(addresses, planned, burst.get(proxy) ?? []);
          const second = byAddress(addresses, planned, again.get(proxy) ?? []);
          o.checks.push(
            judgeSequences(`${prefix}.limit`, `each address has its own counter of requests over ${facts.periodMs} ms, refused ones included`, first, facts, perAddress, app),
            judgeIndependent(`${prefix}.independent`, first, facts),
            judgeSequences(`${prefix}.reset`, `sent ${waitMs} ms after the burst: two periods on, nothing of it is left in the counter`, second, facts, perAddress, app),
          );
          const all: ProbeResponse[] = [...(burst.get(proxy) ?? []), ...(again.get(proxy) ?? [])];
          o.requests += all.length;
          tallyServed(backend, all, o.served);
          o.counts = { ...o.served };
        }
        notes.push(`ratelimit ${frontend.name}: ${facts.allowed} requests allowed per ${facts.periodMs} ms per address (simulated from lab.yaml by haplab's stick tables); ${addresses.length} addresses × ${perAddress} requests, twice`);
      }
      return { perProxy, notes };
    },
  };
}
