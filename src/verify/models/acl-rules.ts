/**
 * The rule lines of a frontend (each `acl`, `use_backend` and `http-request deny`), named as
 * the lab's haproxy.cfg shows them, and the ways each could be wrong: removed, made to
 * always apply, its condition flipped, one term of it dropped or negated, an ACL's value
 * moved to a near miss (a CIDR one bit wider or narrower, a prefix one character shorter or
 * longer, `-i` toggled, another method, another -m). Each change is a copy of the
 * FrontendSpec; coverage (acl-coverage.ts) asks the RouteOracle whether some probe's
 * outcome changes under it, which is what makes a check able to catch that line.
 */
import { renderHaproxyCfg } from '../../render/haproxy-cfg.js';
import type { FrontendSpec, LabSpec } from '../../lab-schema/types.js';
import { formatCidr, parseCidr } from '../cidr.js';
import { effectiveMatch, formatAcl, parseAcl, sampleOf, shorterPattern, STRING_MATCHES, type ParsedAcl } from './acl-criterion.js';

export interface RuleLine {
  kind: 'acl' | 'use_backend' | 'deny';
  /** Index into the frontend's acls (kind acl) or rules. */
  index: number;
  /** The line as haproxy.cfg has it: `acl is_static path_beg /static`, `use_backend … if …`. */
  text: string;
  /** Its line number in the lab's haproxy.cfg, when found. */
  line?: number;
  /** text and where: "use_backend static_backend if is_static (haproxy.cfg line 28)". */
  label: string;
}

/**
 * Which side of a line a change tests: `takes` needs a probe that takes the rule (or matches
 * the ACL), `falls through` one that does not, `boundary` one at the edge of a value.
 */
export type MutantWay = 'takes' | 'falls through' | 'boundary';

export interface Mutant {
  rule: RuleLine;
  /** What changed, in words: "removed", "-i dropped", "192.168.1.0/24 → 192.168.1.0/23". */
  change: string;
  way: MutantWay;
  /** The frontend with that one change. */
  frontend: FrontendSpec;
}

const renderedLines = new WeakMap<LabSpec, string[]>();

/** A config line as compared here: trimmed, runs of blanks as one space. */
function normalize(line: string): string {
  return line.trim().replace(/\s+/g, ' ');
}

function cfgLines(spec: LabSpec): string[] {
  let lines = renderedLines.get(spec);
  if (!lines) {
    lines = renderHaproxyCfg(spec).split('\n').map(normalize);
    renderedLines.set(spec, lines);
  }
  return lines;
}

/** Every acl, use_backend and http-request deny line of the frontend, in haproxy.cfg order. */
export function ruleLines(spec: LabSpec, frontend: FrontendSpec): RuleLine[] {
  const lines = cfgLines(spec);
  const start = lines.indexOf(`frontend ${frontend.name}`);
  let from = start < 0 ? lines.length : start + 1;
  const at = (text: string): number | undefined => {
    for (let k = from; k < lines.length && !/^(frontend|backend|listen|defaults|global)\b/.test(lines[k]!); k++) {
      if (lines[k] === normalize(text)) {
        from = k + 1;
        return k + 1;
      }
    }
    return undefined;
  };
  const make = (kind: RuleLine['kind'], index: number, text: string): RuleLine => {
    const line = at(text);
    return { kind, index, text, line, label: line === undefined ? text : `${text} (haproxy.cfg line ${line})` };
  };
  return [
    ...(frontend.acls ?? []).map((a, i) => make('acl', i, `acl ${a.name} ${a.criterion.trim()}`)),
    ...(frontend.rules ?? []).map((r, i) => make(/^http-request\s/.test(r.trim()) ? 'deny' : 'use_backend', i, r.trim())),
  ];
}

interface RuleParts {
  /** `use_backend NAME` or `http-request deny [deny_status N]`. */
  action: string;
  polarity?: 'if' | 'unless';
  /** OR of AND-ed terms; a term is an ACL name with a leading `!` when negated. */
  suites: string[][];
}

function splitRule(rule: string): RuleParts {
  const words = rule.trim().split(/\s+/);
  const at = words.findIndex((w) => w === 'if' || w === 'unless');
  if (at < 0) return { action: words.join(' '), suites: [] };
  const suites: string[][] = [[]];
  for (const w of words.slice(at + 1)) {
    if (w === 'or' || w === '||') suites.push([]);
    else suites[suites.length - 1]!.push(w);
  }
  return { action: words.slice(0, at).join(' '), polarity: words[at] as 'if' | 'unless', suites: suites.filter((s) => s.length) };
}

function joinRule(p: RuleParts): string {
  if (!p.polarity || p.suites.length === 0) return p.action;
  return `${p.action} ${p.polarity} ${p.suites.map((s) => s.join(' ')).join(' or ')}`;
}

function withRule(frontend: FrontendSpec, index: number, rule: string | undefined): FrontendSpec {
  const rules = [...(frontend.rules ?? [])];
  if (rule === undefined) rules.splice(index, 1);
  else rules[index] = rule;
  return { ...frontend, rules };
}

function withAcl(frontend: FrontendSpec, index: number, criterion: string): FrontendSpec {
  const acls = (frontend.acls ?? []).map((a, i) => (i === index ? { ...a, criterion } : a));
  return { ...frontend, acls };
}

function ruleMutants(frontend: FrontendSpec, rule: RuleLine): Mutant[] {
  const parts = splitRule(rule.text);
  const out: Mutant[] = [{ rule, change: 'removed', way: 'takes', frontend: withRule(frontend, rule.index, undefined) }];
  if (!parts.polarity) return out;
  const mutant = (change: string, way: MutantWay, p: RuleParts) => out.push({ rule, change, way, frontend: withRule(frontend, rule.index, joinRule(p)) });
  mutant('its condition dropped (always applies)', 'falls through', { action: parts.action, suites: [] });
  mutant(`${parts.polarity} → ${parts.polarity === 'if' ? 'unless' : 'if'}`, 'boundary', { ...parts, polarity: parts.polarity === 'if' ? 'unless' : 'if' });
  const terms = parts.suites.flatMap((s, i) => s.map((t, j) => ({ i, j, t })));
  // With one term, dropping it is "always applies" and negating it is the flip above.
  if (terms.length < 2) return out;
  for (const { i, j, t } of terms) {
    const dropped = parts.suites.map((s, k) => (k === i ? s.filter((_, m) => m !== j) : s)).filter((s) => s.length);
    mutant(`term ${t} dropped`, 'boundary', { ...parts, suites: dropped });
    const negated = parts.suites.map((s, k) => (k === i ? s.map((x, m) => (m === j ? (x.startsWith('!') ? x.slice(1) : `!${x}`) : x)) : s));
    mutant(`term ${t} → ${t.startsWith('!') ? t.slice(1) : `!${t}`}`, 'boundary', { ...parts, suites: negated });
  }
  return out;
}

function otherMethod(m: string): string {
  return m.toUpperCase() === 'GET' ? 'POST' : 'GET';
}

/** The ACL's near-miss variants: each one differs from it on a narrow band of requests. */
function valueVariants(acl: ParsedAcl): { change: string; acl: ParsedAcl }[] {
  const out: { change: string; acl: ParsedAcl }[] = [];
  const kind = sampleOf(acl);
  const match = effectiveMatch(acl);
  const replaceValue = (i: number, v: string) => ({ ...acl, values: acl.values.map((x, k) => (k === i ? v : x)) });
  if ((kind === 'path' || kind === 'header') && STRING_MATCHES.has(match)) {
    // Case only matters where a pattern has letters.
    if (acl.values.some((v) => /[a-z]/i.test(v))) out.push({ change: acl.ignoreCase ? '-i dropped' : '-i added', acl: { ...acl, ignoreCase: !acl.ignoreCase } });
    acl.values.forEach((v, i) => {
      const shorter = shorterPattern(v, match);
      if (shorter !== undefined) out.push({ change: `${v} → ${shorter}`, acl: replaceValue(i, shorter) });
      const longer = match === 'end' ? `x${v}` : `${v}x`;
      out.push({ change: `${v} → ${longer}`, acl: replaceValue(i, longer) });
    });
    const other = match === 'str' ? 'beg' : 'str';
    out.push({ change: `-m ${match} → -m ${other}`, acl: { ...acl, match: other } });
  } else if (kind === 'method') {
    acl.values.forEach((v, i) => out.push({ change: `${v} → ${otherMethod(v)}`, acl: replaceValue(i, otherMethod(v)) }));
  } else if (kind === 'src') {
    acl.values.forEach((v, i) => {
      const cidr = parseCidr(v);
      if (!cidr) return;
      for (const bits of [cidr.bits - 1, cidr.bits + 1]) {
        if (bits < 0 || bits > 32) continue;
        // A wider range keeps the base; a narrower one keeps the lower half.
        const changed = formatCidr({ base: bits < cidr.bits ? (cidr.base & (bits === 0 ? 0 : (0xffffffff << (32 - bits)))) >>> 0 : cidr.base, bits });
        out.push({ change: `${v} → ${changed}`, acl: replaceValue(i, changed) });
      }
    });
  }
  return out;
}

function aclMutants(frontend: FrontendSpec, rule: RuleLine): Mutant[] {
  const spec = frontend.acls![rule.index]!;
  const acl = parseAcl(spec.name, spec.criterion);
  return [
    // Deleting the line outright makes HAProxy refuse the config (a rule names it): the
    // ways it can be lost while the proxy still starts are never or always matching.
    { rule, change: 'never matches (its line lost)', way: 'takes', frontend: withAcl(frontend, rule.index, 'always_false') },
    { rule, change: 'always matches', way: 'falls through', frontend: withAcl(frontend, rule.index, 'always_true') },
    ...valueVariants(acl).map((v) => ({ rule, change: v.change, way: 'boundary' as const, frontend: withAcl(frontend, rule.index, formatAcl(v.acl)) })),
  ];
}

/** Every single-line change of the frontend's rules, line by line. */
export function mutants(spec: LabSpec, frontend: FrontendSpec, rules: readonly RuleLine[] = ruleLines(spec, frontend)): Mutant[] {
  return rules.flatMap((rule) => (rule.kind === 'acl' ? aclMutants(frontend, rule) : ruleMutants(frontend, rule)));
}
