/**
 * ACL routing (ep03, ep04): every probe lands on the backend the spec's rules name (via
 * X-Served-By → app → server → backend) or gets the deny status, sent from the source
 * address the rule is about. The probes are generated from the ACLs (acl-probes.ts) and
 * chosen so that every rule line is exercised both ways (acl-coverage.ts); the checks
 * (acl-judge.ts) name the lines they cover, and `acl.coverage FRONTEND` says which lines
 * are covered and which are not, and why.
 * Source ranges the prober cannot speak from (outside its Prober.sourceRange — a 192.168.x
 * rule on the local runtime — or addresses it fails to make) make their probes skipped,
 * never passed.
 */
import type { FrontendSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { cidrContains, cidrWithin, blockOutside, formatCidr, parseCidr } from '../cidr.js';
import { skippedCheck, type Check } from '../report/types.js';
import { describeSource, planAclProbes, type AclPlan, type SourceAddresses } from './acl-coverage.js';
import { coverageCheck, judgeAcl } from './acl-judge.js';
import { aclCandidates, MAX_PROBES_PER_FRONTEND, sampleProbes, type SourceClass } from './acl-probes.js';
import { tallyServed, type Model, type ModelContext, type ModelResult, type Probe, type ProxyOutcome } from './types.js';

export { describeSource, type PlannedProbe } from './acl-coverage.js';
export { judgeAcl, observedOutcome, outcomeLabel } from './acl-judge.js';

/** Addresses for each source class, or the reason there are none. */
export async function resolveSources(
  ctx: Pick<ModelContext, 'prober' | 'instance' | 'spec'>, classes: readonly SourceClass[],
): Promise<Map<SourceClass, string[] | { reason: string }>> {
  const out = new Map<SourceClass, string[] | { reason: string }>();
  // A prober confined to one block (a host-side one: loopback) cannot speak from a rule's range.
  const confined = ctx.prober.sourceRange ? parseCidr(ctx.prober.sourceRange) : undefined;
  const subnet = ctx.spec.clientSubnet ? parseCidr(ctx.spec.clientSubnet) : undefined;
  for (const c of classes) {
    if (c.kind === 'default') { out.set(c, []); continue; }
    try {
      if (c.kind === 'inside' || c.kind === 'near') {
        if (confined && !cidrWithin(c.block, confined)) {
          out.set(c, { reason: `the ${ctx.instance.runtime} runtime speaks only from ${formatCidr(confined)}, not from ${formatCidr(c.block)}` });
          continue;
        }
        const got = (await ctx.prober.clientAddresses(2, formatCidr(c.block))).filter((a) => cidrContains(c.block, a));
        out.set(c, got.length ? got : { reason: `the prober gave no address inside ${formatCidr(c.block)}` });
      } else {
        const block = !confined && subnet ? blockOutside(subnet, c.avoid) : undefined;
        const got = (await ctx.prober.clientAddresses(2, block ? formatCidr(block) : undefined)).filter((a) => !c.avoid.some((r) => cidrContains(r, a)));
        out.set(c, got.length ? got : { reason: 'the prober gave no address outside the rule ranges' });
      }
    } catch (err) {
      out.set(c, { reason: `the prober cannot send from ${describeSource(c)}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return out;
}

/** The frontend's probes and coverage, or none when no route oracle can say what they must get. */
async function plan(ctx: ModelContext, frontend: FrontendSpec): Promise<{ plan: AclPlan; skipped: Check[] }> {
  const rng = ctx.rng.fork(`acl-${frontend.name}`);
  const candidates = aclCandidates(ctx.spec, frontend, rng);
  const addresses: SourceAddresses = await resolveSources(ctx, [...new Set(candidates.map((p) => p.source))]);
  const skipped: Check[] = [];
  for (const [cls, got] of addresses) {
    if ('reason' in got) skipped.push(skippedCheck(`acl.${frontend.name} from ${describeSource(cls)}`, 'the rules\' outcome for probes from this range', got.reason));
  }
  const oracle = ctx.oracles.route;
  if (!oracle) {
    skipped.push(skippedCheck(`acl.${frontend.name}`, 'each probe gets the backend or status the rules give', 'no route oracle wired (src/proxy/acl): the expected outcome cannot be computed from the spec'));
    return { plan: { probes: [], coverage: [] }, skipped };
  }
  const initial = sampleProbes(candidates, MAX_PROBES_PER_FRONTEND, rng.fork('initial'));
  return { plan: planAclProbes({ spec: ctx.spec, frontend, oracle, candidates, initial, addresses }), skipped };
}

export function aclModel(frontends: FrontendSpec[]): Model {
  return {
    name: 'acl',
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const perProxy: ModelResult['perProxy'] = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} } as ProxyOutcome]));
      for (const frontend of frontends) {
        const { plan: { probes: planned, coverage }, skipped } = await plan(ctx, frontend);
        ctx.onStep?.(`acl: ${planned.length} probes to ${frontend.name}`);
        const probes: Probe[] = planned.map((p) => ({ method: p.method, path: p.path, headers: p.headers, sourceAddress: p.sourceAddress, connection: 'fresh', ...(p.method === 'POST' ? { body: 'probe=1' } : {}) }));
        const responses = planned.length ? await ctx.send({ label: `acl probes for ${frontend.name}`, frontend: frontend.name, probes, options: { concurrency: 4 } }) : new Map();
        for (const proxy of ctx.proxies) {
          const o = perProxy.get(proxy)!;
          const rs: ProbeResponse[] = responses.get(proxy) ?? [];
          o.checks.push(...(planned.length ? judgeAcl(ctx.spec, frontend, planned, rs) : []), ...(coverage.length ? [coverageCheck(frontend, coverage)] : []), ...skipped);
          o.requests += rs.length;
          const backends = new Set(planned.flatMap((p) => (p.expected.kind === 'backend' ? [p.expected.backend] : [])));
          for (const b of ctx.spec.backends.filter((x) => backends.has(x.name))) {
            tallyServed(b, rs.filter((_, i) => planned[i]!.expected.kind === 'backend' && (planned[i]!.expected as { backend: string }).backend === b.name), o.served);
          }
          o.counts = { ...o.served };
        }
      }
      return { perProxy, notes: [] };
    },
  };
}
