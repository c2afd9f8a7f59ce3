/**
 * Judging ACL probes (pure: planned probes and responses → checks). Checks are grouped by
 * expected outcome, one per frontend and outcome ("acl.block_front → 403 (deny)",
 * "acl.path_front → static_backend"), and each names the rule lines it covers: the lines a
 * change of which would alter what one of its probes must get, so a rule the proxy ignores
 * fails a check that names it. `acl.coverage FRONTEND` sums up which lines the probes
 * cover both ways, and which they cannot, with the reason.
 */
import type { FrontendSpec, LabSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import type { RouteDecision } from '../oracles.js';
import { skippedCheck, type Check } from '../report/types.js';
import type { PlannedProbe, RuleCoverage } from './acl-coverage.js';
import { DEFAULT_USER_AGENT, servedPaths } from './acl-probes.js';
import { ruleLines } from './acl-rules.js';

export function outcomeLabel(d: RouteDecision): string {
  return d.kind === 'deny' ? `${d.status} (deny)` : d.backend;
}

function probeText(p: PlannedProbe): string {
  const ua = p.headers['User-Agent'];
  const extra = Object.entries(p.headers).filter(([h]) => h !== 'User-Agent').map(([h, v]) => `${h}: ${v}`);
  return `${p.method} ${p.path}${ua && ua !== DEFAULT_USER_AGENT ? ` UA "${ua}"` : ''}${extra.length ? ` [${extra.join('; ')}]` : ''}${p.sourceAddress ? ` from ${p.sourceAddress}` : ''}`;
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

/** Rule labels in the order the frontend's lines come in haproxy.cfg. */
function inRuleOrder(spec: LabSpec, frontend: FrontendSpec, labels: ReadonlySet<string>): string[] {
  return ruleLines(spec, frontend).map((r) => r.label).filter((l) => labels.has(l));
}

export function judgeAcl(spec: LabSpec, frontend: FrontendSpec, probes: readonly PlannedProbe[], responses: readonly ProbeResponse[]): Check[] {
  const groups = new Map<string, { ok: number; total: number; bad: string[]; covers: Set<string> }>();
  const files = { ok: 0, total: 0, bad: [] as string[] };
  const served = new Set(servedPaths(spec, frontend));
  probes.forEach((p, i) => {
    const r = responses[i]!;
    const want = outcomeLabel(p.expected);
    const got = observedOutcome(spec, frontend, p.expected, r);
    const ok = p.expected.kind === 'deny' ? r.status === p.expected.status && !r.servedBy : got === p.expected.backend && r.status < 500;
    const g = groups.get(want) ?? { ok: 0, total: 0, bad: [], covers: new Set<string>() };
    g.total++;
    p.covers.forEach((c) => g.covers.add(c));
    if (ok) g.ok++;
    else if (g.bad.length < 3) g.bad.push(`${probeText(p)} → ${got}${p.decidedBy ? ` (rule: ${p.decidedBy})` : ''}`);
    groups.set(want, g);
    if (p.expected.kind === 'backend' && p.method === 'GET' && served.has(p.path) && got === p.expected.backend) {
      files.total++;
      if (r.status === 200) files.ok++;
      else if (files.bad.length < 3) files.bad.push(`${p.path} → ${r.status}`);
    }
  });
  const checks: Check[] = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([want, g]) => ({
    name: `acl.${frontend.name} → ${want}`,
    expected: `${g.total} probes get ${want}, as the rules decide`,
    observed: `${g.ok}/${g.total}`,
    pass: g.ok === g.total,
    detail: g.bad.length ? `wrong: ${g.bad.join('; ')}` : 'every probe as the rules decide',
    covers: inRuleOrder(spec, frontend, g.covers),
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

/**
 * `acl.coverage FRONTEND`: passes when every rule line is covered both ways; otherwise it is
 * skipped (never passed) and says which line is not covered and why.
 */
export function coverageCheck(frontend: FrontendSpec, coverage: readonly RuleCoverage[]): Check {
  const name = `acl.coverage ${frontend.name}`;
  const covered = coverage.filter((c) => c.missed.length === 0);
  const expected = `each of the ${coverage.length} acl/use_backend/http-request lines, removed or changed, alters some probe's outcome, both ways`;
  const observed = `${covered.length}/${coverage.length} lines covered both ways`;
  const coveredText = covered.map((c) => `${c.rule.label}: ${c.changes} changes caught, ${c.takes} probes take it, ${c.fallsThrough} fall through`);
  const missedText = coverage.filter((c) => c.missed.length).map((c) => {
    // Changes missed for one reason are said together: "never matches, … (needs a probe from …)".
    const byReason = new Map<string, string[]>();
    for (const m of c.missed) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.change]);
    return `not covered: ${c.rule.label}: ${[...byReason].map(([reason, changes]) => `${changes.join(', ')} (${reason})`).join('; ')}`;
  });
  const covers = covered.map((c) => c.rule.label);
  if (missedText.length === 0) return { name, expected, observed, pass: true, detail: `covered both ways: ${coveredText.join('; ')}`, covers };
  return { ...skippedCheck(name, expected, missedText.join(' | ')), observed, covers };
}
