/**
 * ACL routing (ep03, ep04): every probe lands on the backend the spec's rules name (via
 * X-Served-By → app → server → backend) or gets the deny status, sent from the source
 * address the rule is about. Checks are grouped by expected outcome, one per frontend and
 * outcome ("acl.block_front → 403 (deny)", "acl.path_front → static_backend"), so a rule
 * the proxy ignores fails the check named after what that rule should have done.
 * Source ranges the runtime cannot speak from (a 192.168.x rule on the local runtime, or a
 * prober that cannot make such addresses) make their probes skipped, never passed.
 */
import type { FrontendSpec, LabSpec } from '../../spec/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { cidrContains, cidrWithin, blockOutside, formatCidr, parseCidr } from '../cidr.js';
import { DEFAULT_SOURCE } from '../keys.js';
import type { RouteDecision, RouteOracle } from '../oracles.js';
import { skippedCheck, type Check } from '../report/types.js';
import { aclProbes, servedPaths, type AclProbe, type SourceClass } from './acl-probes.js';
import { tallyServed, type Model, type ModelContext, type ModelResult, type Probe, type ProxyOutcome } from './types.js';

const LOOPBACK = parseCidr('127.0.0.0/8')!;

export interface PlannedProbe extends AclProbe {
  sourceAddress?: string;
  expected: RouteDecision;
}

export function describeSource(s: SourceClass): string {
  if (s.kind === 'inside') return `inside ${s.text}`;
  if (s.kind === 'outside') return `outside ${s.avoid.map(formatCidr).join(', ')}`;
  return 'the default address';
}

/** Addresses for each source class, or the reason there are none. */
export async function resolveSources(
  ctx: Pick<ModelContext, 'prober' | 'instance' | 'spec'>, classes: readonly SourceClass[],
): Promise<Map<SourceClass, string[] | { reason: string }>> {
  const out = new Map<SourceClass, string[] | { reason: string }>();
  const local = ctx.instance.runtime === 'local';
  const subnet = ctx.spec.clientSubnet ? parseCidr(ctx.spec.clientSubnet) : undefined;
  for (const c of classes) {
    if (c.kind === 'default') { out.set(c, []); continue; }
    try {
      if (c.kind === 'inside') {
        if (local && !cidrWithin(c.cidr, LOOPBACK)) {
          out.set(c, { reason: `the local runtime speaks only from 127.0.0.0/8, not from ${c.text}` });
          continue;
        }
        const got = (await ctx.prober.clientAddresses(2, formatCidr(c.cidr))).filter((a) => cidrContains(c.cidr, a));
        out.set(c, got.length ? got : { reason: `the prober gave no address inside ${c.text}` });
      } else {
        const block = !local && subnet ? blockOutside(subnet, c.avoid) : undefined;
        const got = (await ctx.prober.clientAddresses(2, block ? formatCidr(block) : undefined)).filter((a) => !c.avoid.some((r) => cidrContains(r, a)));
        out.set(c, got.length ? got : { reason: 'the prober gave no address outside the rule ranges' });
      }
    } catch (err) {
      out.set(c, { reason: `the prober cannot send from ${describeSource(c)}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return out;
}

export function outcomeLabel(d: RouteDecision): string {
  return d.kind === 'deny' ? `${d.status} (deny)` : d.backend;
}

function probeText(p: PlannedProbe): string {
  const ua = p.headers['User-Agent'];
  const extra = Object.entries(p.headers).filter(([h]) => h !== 'User-Agent').map(([h, v]) => `${h}: ${v}`);
  return `${p.method} ${p.path}${ua && ua !== 'haplab-probe/1.0' ? ` UA "${ua}"` : ''}${extra.length ? ` [${extra.join('; ')}]` : ''}${p.sourceAddress ? ` from ${p.sourceAddress}` : ''}`;
}

/** What answered, as the frontend's outcome: a backend (from the app), a deny, or neither. */
export function observedOutcome(spec: LabSpec, frontend: FrontendSpec, expected: RouteDecision, r: ProbeResponse): string {
  if (r.status === 0) return `no answer${r.error ? ` (${r.error})` : ''}`;
  if (r.servedBy) {
    // An app may sit behind several backends (ep04's "main"): prefer the expected one.
    const candidates = spec.backends.filter((b) => b.servers.some((s) => s.app === r.servedBy));
    const hit = candidates.find((b) => expected.kind === 'backend' && b.name === expected.backend) ?? candidates[0];
    return hit ? hit.name : `app ${r.servedBy} (no backend)`;
  }
  return `${r.status}${r.status === 403 ? ' (deny)' : ''}`;
}

export function judgeAcl(spec: LabSpec, frontend: FrontendSpec, probes: readonly PlannedProbe[], responses: readonly ProbeResponse[]): Check[] {
  const groups = new Map<string, { ok: number; total: number; bad: string[] }>();
  const files = { ok: 0, total: 0, bad: [] as string[] };
  const served = new Set(servedPaths(spec, frontend));
  probes.forEach((p, i) => {
    const r = responses[i]!;
    const want = outcomeLabel(p.expected);
    const got = observedOutcome(spec, frontend, p.expected, r);
    const ok = p.expected.kind === 'deny' ? r.status === p.expected.status && !r.servedBy : got === p.expected.backend && r.status < 500;
    const g = groups.get(want) ?? { ok: 0, total: 0, bad: [] };
    g.total++;
    if (ok) g.ok++;
    else if (g.bad.length < 3) g.bad.push(`${probeText(p)} → ${got}`);
    groups.set(want, g);
    if (p.expected.kind === 'backend' && p.method === 'GET' && served.has(p.path) && got === p.expected.backend) {
      files.total++;
      if (r.status === 200) files.ok++;
      else if (files.bad.length < 3) files.bad.push(`${p.path} → ${r.status}`);
    }
  });
  const checks: Check[] = [...groups].map(([want, g]) => ({
    name: `acl.${frontend.name} → ${want}`,
    expected: `${g.total} probes get ${want}, as the rules decide`,
    observed: `${g.ok}/${g.total}`,
    pass: g.ok === g.total,
    detail: g.bad.length ? `wrong: ${g.bad.join('; ')}` : 'every probe as the rules decide',
  }));
  if (files.total) {
    checks.push({
      name: `acl.${frontend.name} served`,
      expected: 'the apps\' own routes and files answer 200 on the backend the rules name',
      observed: `${files.ok}/${files.total}`,
      pass: files.ok === files.total,
      detail: files.bad.length ? `not served: ${files.bad.join('; ')}` : 'served',
    });
  }
  return checks;
}

export function aclModel(frontends: FrontendSpec[]): Model {
  return {
    name: 'acl',
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const perProxy: ModelResult['perProxy'] = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} } as ProxyOutcome]));
      const oracle: RouteOracle | undefined = ctx.oracles.route;
      for (const frontend of frontends) {
        const all = aclProbes(ctx.spec, frontend, ctx.rng.fork(`acl-${frontend.name}`));
        const sources = await resolveSources(ctx, [...new Set(all.map((p) => p.source))]);
        const skipped: Check[] = [];
        for (const [cls, got] of sources) {
          if (!Array.isArray(got)) skipped.push(skippedCheck(`acl.${frontend.name} from ${describeSource(cls)}`, 'the rules\' outcome for probes from this range', got.reason));
        }
        if (!oracle) skipped.push(skippedCheck(`acl.${frontend.name}`, 'each probe gets the backend or status the rules give', 'no route oracle wired (src/proxy/acl): the expected outcome cannot be computed from the spec'));
        const planned: PlannedProbe[] = [];
        if (oracle) {
          let turn = 0;
          for (const p of all) {
            const got = sources.get(p.source);
            if (!Array.isArray(got)) continue;
            const sourceAddress = got.length ? got[turn++ % got.length] : undefined;
            const expected = oracle.decide(frontend, { method: p.method, path: p.path, headers: p.headers, sourceAddress: sourceAddress ?? DEFAULT_SOURCE });
            planned.push({ ...p, sourceAddress, expected });
          }
        }
        ctx.onStep?.(`acl: ${planned.length} probes to ${frontend.name}`);
        const probes: Probe[] = planned.map((p) => ({ method: p.method, path: p.path, headers: p.headers, sourceAddress: p.sourceAddress, connection: 'fresh', ...(p.method === 'POST' ? { body: 'probe=1' } : {}) }));
        const responses = planned.length ? await ctx.send({ label: `acl probes for ${frontend.name}`, frontend: frontend.name, probes, options: { concurrency: 4 } }) : new Map();
        for (const proxy of ctx.proxies) {
          const o = perProxy.get(proxy)!;
          const rs: ProbeResponse[] = responses.get(proxy) ?? [];
          o.checks.push(...(planned.length ? judgeAcl(ctx.spec, frontend, planned, rs) : []), ...skipped);
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
