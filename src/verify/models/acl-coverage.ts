/**
 * Which probes an ACL frontend gets, and proof that they can catch every rule line. Each
 * line of the frontend (acl, use_backend, http-request deny) is changed one way at a time
 * (acl-rules.ts); the RouteOracle, asked with the changed frontend, says what each probe
 * would then get. A change that alters no planned probe's outcome makes the search run
 * over the candidates (acl-probes.ts) for one that it does alter, which is then sent too.
 * What no sendable candidate can catch is reported as not covered, with the reason: the
 * probe it needs speaks from a range this runtime cannot use, the rule is shadowed by an
 * earlier one, or no answer could tell the two outcomes apart.
 */
import type { FrontendSpec, LabSpec } from '../../lab-schema/types.js';
import { formatCidr } from '../cidr.js';
import { DEFAULT_SOURCE } from '../hash-keys.js';
import type { RouteDecision, RouteOracle } from '../oracles.js';
import { representativeAddress, type AclProbe, type SourceClass } from './acl-probes.js';
import { mutants as lineMutants, ruleLines, type Mutant, type MutantWay, type RuleLine } from './acl-rules.js';

export interface PlannedProbe extends AclProbe {
  sourceAddress?: string;
  expected: RouteDecision;
  /** Labels of the rule lines a change of which alters what this probe must get. */
  covers: string[];
  /** The rule line that gives this probe its outcome, or the default_backend it falls to. */
  decidedBy?: string;
}

export interface MissedChange {
  change: string;
  way: MutantWay;
  reason: string;
}

export interface RuleCoverage {
  rule: RuleLine;
  /** Changes tried on this line. */
  changes: number;
  missed: MissedChange[];
  /** Planned probes that take the rule (or match the ACL) and would see it removed. */
  takes: number;
  /** Planned probes that fall through it and would see it always apply. */
  fallsThrough: number;
}

/** Addresses per source class, or why the runtime has none ([] : its default address). */
export type SourceAddresses = ReadonlyMap<SourceClass, readonly string[] | { reason: string }>;

export interface AclPlan {
  probes: PlannedProbe[];
  coverage: RuleCoverage[];
}

export interface PlanInput {
  spec: LabSpec;
  frontend: FrontendSpec;
  oracle: RouteOracle;
  /** Every candidate, in a fixed order: the search takes the first that separates. */
  candidates: readonly AclProbe[];
  /** What is sent before the search adds probes. */
  initial: readonly AclProbe[];
  addresses: SourceAddresses;
}

export function describeSource(s: SourceClass): string {
  if (s.kind === 'inside') return `inside ${s.text}`;
  if (s.kind === 'near') return `just outside ${s.text} (${formatCidr(s.block)})`;
  if (s.kind === 'outside') return `outside ${s.avoid.map(formatCidr).join(', ')}`;
  return 'the default address';
}

/** The apps behind a decision: what a response can show of it. */
function appsOf(spec: LabSpec, d: RouteDecision): Set<string> {
  if (d.kind === 'deny') return new Set();
  return new Set(spec.backends.find((b) => b.name === d.backend)?.servers.map((s) => s.app) ?? []);
}

/** True when an answer tells the two decisions apart (backends sharing an app do not). */
export function observablyDifferent(spec: LabSpec, a: RouteDecision, b: RouteDecision): boolean {
  if (a.kind !== b.kind) return true;
  if (a.kind === 'deny') return a.status !== (b as { status: number }).status;
  const other = (b as { backend: string }).backend;
  if (a.backend === other) return false;
  const apps = appsOf(spec, a);
  return ![...appsOf(spec, b)].some((x) => apps.has(x));
}

function sameDecision(a: RouteDecision, b: RouteDecision): boolean {
  return a.kind === b.kind && (a.kind === 'deny' ? a.status === (b as { status: number }).status : a.backend === (b as { backend: string }).backend);
}

type Addressed = { probe: AclProbe; sourceAddress?: string; sendable: boolean; reason?: string };

export function planAclProbes(input: PlanInput): AclPlan {
  const { spec, frontend, oracle, addresses } = input;
  const rules = ruleLines(spec, frontend);
  const changes = lineMutants(spec, frontend, rules);
  const turns = new Map<SourceClass, number>();
  const address = (probe: AclProbe, advance: boolean): Addressed => {
    const got = addresses.get(probe.source) ?? { reason: 'no address was asked for' };
    if ('reason' in got) return { probe, sourceAddress: representativeAddress(probe.source), sendable: false, reason: got.reason };
    if (got.length === 0) return { probe, sendable: true };
    const turn = turns.get(probe.source) ?? 0;
    if (advance) turns.set(probe.source, turn + 1);
    return { probe, sourceAddress: got[turn % got.length], sendable: true };
  };
  const decide = (f: FrontendSpec, a: Addressed): RouteDecision =>
    oracle.decide(f, { method: a.probe.method, path: a.probe.path, headers: a.probe.headers, sourceAddress: a.sourceAddress ?? DEFAULT_SOURCE });
  const broken = new Map<Mutant, string>();
  const decideMutant = (m: Mutant, a: Addressed): RouteDecision | undefined => {
    if (broken.has(m)) return undefined;
    try {
      return decide(m.frontend, a);
    } catch (err) {
      broken.set(m, `the changed line does not load: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  const separates = (m: Mutant, a: Addressed, expected = decide(frontend, a)): boolean => {
    const got = decideMutant(m, a);
    return got !== undefined && observablyDifferent(spec, expected, got);
  };

  const planned: { a: Addressed; expected: RouteDecision; caught: Set<Mutant> }[] = [];
  const caught = new Set<Mutant>();
  const add = (a: Addressed) => {
    const expected = decide(frontend, a);
    const hit = new Set(changes.filter((m) => separates(m, a, expected)));
    hit.forEach((m) => caught.add(m));
    planned.push({ a, expected, caught: hit });
  };
  for (const p of input.initial) {
    const a = address(p, true);
    if (a.sendable) add(a);
  }

  const missed = new Map<Mutant, string>();
  for (const m of changes) {
    if (caught.has(m) || broken.has(m)) continue;
    let unsendable: Addressed | undefined;
    let found = false;
    for (const c of input.candidates) {
      const a = address(c, false);
      if (!separates(m, a)) continue;
      if (a.sendable) {
        add(address(c, true));
        found = true;
        break;
      }
      unsendable ??= a;
    }
    if (found) continue;
    missed.set(m, unsendable
      ? `needs a probe from ${describeSource(unsendable.probe.source)}: ${unsendable.reason}`
      : whyInseparable(input, m, rules));
  }
  for (const [m, reason] of broken) missed.set(m, reason);

  const removals = changes.filter((m) => m.change === 'removed');
  const probes: PlannedProbe[] = planned.map(({ a, expected, caught: hit }) => {
    const decider = removals.find((m) => {
      const got = decideMutant(m, a);
      return got !== undefined && !sameDecision(expected, got);
    });
    const decidedBy = decider?.rule.label ?? (expected.kind === 'backend' && expected.backend === frontend.defaultBackend ? `default_backend ${frontend.defaultBackend}` : undefined);
    return {
      ...a.probe,
      sourceAddress: a.sourceAddress,
      expected,
      covers: rules.filter((r) => [...hit].some((m) => m.rule === r)).map((r) => r.label),
      ...(decidedBy ? { decidedBy } : {}),
    };
  });

  const coverage: RuleCoverage[] = rules.map((rule) => {
    const mine = changes.filter((m) => m.rule === rule);
    const count = (way: MutantWay) => planned.filter((p) => [...p.caught].some((m) => m.rule === rule && m.way === way)).length;
    return {
      rule,
      changes: mine.length,
      missed: mine.filter((m) => missed.has(m)).map((m) => ({ change: m.change, way: m.way, reason: missed.get(m)! })),
      takes: count('takes'),
      fallsThrough: count('falls through'),
    };
  });
  return { probes, coverage };
}

/** Rules that run before this one: earlier ones of its kind, and every deny before a use_backend. */
function rulesBefore(rule: RuleLine, rules: readonly RuleLine[]): RuleLine[] {
  if (rule.kind === 'acl') return [];
  return rules.filter((r) => r.kind !== 'acl' && r !== rule && ((r.kind === rule.kind && r.index < rule.index) || (rule.kind === 'use_backend' && r.kind === 'deny')));
}

/** The frontend without one occurrence of each of these rule texts. */
function withoutRules(frontend: FrontendSpec, drop: readonly RuleLine[]): FrontendSpec {
  const left = [...(frontend.rules ?? [])];
  for (const r of drop) {
    const at = left.findIndex((x) => x.trim() === r.text);
    if (at >= 0) left.splice(at, 1);
  }
  return { ...frontend, rules: left };
}

/** Why no candidate tells the change apart: shadowing, look-alike backends, or nothing found. */
function whyInseparable(input: PlanInput, m: Mutant, rules: readonly RuleLine[]): string {
  const { spec, frontend, oracle, candidates } = input;
  const request = (c: AclProbe) => ({ method: c.method, path: c.path, headers: c.headers, sourceAddress: representativeAddress(c.source) });
  const pairs = candidates.map((c) => {
    try {
      return [oracle.decide(frontend, request(c)), oracle.decide(m.frontend, request(c))] as const;
    } catch {
      return undefined;
    }
  });
  const lookalike = pairs.find((p) => p && !sameDecision(p[0], p[1]));
  if (lookalike && lookalike[0].kind === 'backend' && lookalike[1].kind === 'backend') {
    return `it only moves requests between backends that share servers (${lookalike[0].backend}, ${lookalike[1].backend}): no answer tells them apart`;
  }
  const before = rulesBefore(m.rule, rules);
  if (before.length) {
    // The same change with the earlier rules gone: if that can be seen, they hide this rule.
    const shifted = (f: FrontendSpec) => withoutRules(f, before);
    const visible = candidates.some((c) => {
      try {
        return observablyDifferent(spec, oracle.decide(shifted(frontend), request(c)), oracle.decide(shifted(m.frontend), request(c)));
      } catch {
        return false;
      }
    });
    if (visible) return `shadowed: every request it could decide is decided first by ${before.map((r) => r.label).join('; ')}`;
  }
  return `no candidate request (${candidates.length} tried) gets a different outcome with the line ${m.change === 'removed' ? 'removed' : `changed (${m.change})`}`;
}
