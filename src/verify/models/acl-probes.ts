/**
 * ACL probe candidates, generated from the spec's ACLs, never written per lab: for every ACL
 * of a frontend, values that match it and values that do not, with the near misses at its
 * edges (a path one character short of the prefix, the prefix in the other case, a header
 * with the substring almost present, an address in the upper half of a range and one in
 * the block just outside it), crossed with each other so that combined conditions
 * (`if is_admin_path !is_internal_network`) meet every combination. What each probe must
 * get is not decided here: the RouteOracle decides it from the spec's rules; which of these
 * candidates are sent is decided by coverage (acl-coverage.ts).
 */
import type { AppSpec, FrontendSpec, LabSpec } from '../../lab-schema/types.js';
import { cidrContains, formatIpv4, parseCidr, type Cidr } from '../cidr.js';
import { DEFAULT_SOURCE } from '../hash-keys.js';
import type { Rng } from '../rng.js';
import { effectiveMatch, otherChar, parseAcl, sampleOf, shorterPattern, STRING_MATCHES, swapCase, type ParsedAcl } from './acl-criterion.js';

export { parseAcl, type ParsedAcl } from './acl-criterion.js';

/**
 * A source-address class a probe speaks from: inside a rule's range (its upper half, so a
 * range one bit narrower misses it), just outside it (the sibling block, so a range one bit
 * wider catches it), outside every range, or the runtime's default address.
 */
export type SourceClass =
  | { kind: 'default' }
  | { kind: 'inside'; cidr: Cidr; text: string; block: Cidr }
  | { kind: 'near'; cidr: Cidr; text: string; block: Cidr }
  | { kind: 'outside'; avoid: Cidr[] };

export interface AclProbe {
  method: string;
  path: string;
  headers: Record<string, string>;
  source: SourceClass;
}

export const DEFAULT_USER_AGENT = 'haplab-probe/1.0';
/** Probes per frontend sent before coverage adds the ones it still needs. */
export const MAX_PROBES_PER_FRONTEND = 300;
/** Candidates per frontend at most: beyond it a seeded sample keeps every value at least once. */
export const MAX_CANDIDATES_PER_FRONTEND = 5000;
/** A header facet value meaning "the header is not sent". */
const ABSENT = '';

function slashed(v: string): string {
  return v.startsWith('/') ? v : `/${v}`;
}

/** Paths that match a path ACL, paths that do not, and the near misses between. */
function pathExamples(acl: ParsedAcl): string[] {
  const out: string[] = [];
  const match = effectiveMatch(acl);
  for (const v of acl.values) {
    const base = slashed(v);
    const stem = base.replace(/\/$/, '');
    switch (match) {
      case 'str': out.push(base, `${base}x`); break;
      case 'beg': out.push(base, `${stem}/probe.txt`, `/x${base}`); break;
      case 'end': out.push(`/probe${v}`, `${base}/x`); break;
      case 'sub': out.push(`/a${v}b`); break;
      case 'dir': out.push(`${stem}/x`, `${stem}x/y`); break;
      default: break; // reg, len, dom: no generator; the apps' own routes are probed
    }
    if (!STRING_MATCHES.has(match)) continue;
    const shorter = shorterPattern(match === 'end' || match === 'sub' ? v : base, match);
    if (shorter !== undefined) {
      if (match === 'sub') out.push(`/a${shorter}${otherChar(v.at(-1))}`);
      else if (match === 'end') out.push(`/probe${otherChar(v[0])}${shorter}`);
      else out.push(slashed(shorter));
    }
    // Case: a match when -i is given, a non-match otherwise — either way worth a probe.
    if (/[a-z]/i.test(v)) out.push(match === 'end' ? `/probe${swapCase(v)}` : match === 'sub' ? `/a${swapCase(v)}b` : swapCase(base));
  }
  return out;
}

/** Header values that match a header ACL, ones that do not, and the near misses. */
function headerExamples(acl: ParsedAcl): string[] {
  const out: string[] = [];
  const match = effectiveMatch(acl);
  for (const v of acl.values) {
    const shorter = shorterPattern(v, match);
    switch (match) {
      case 'sub':
        out.push(`Mozilla/5.0 (Linux; ${v}; probe)`);
        if (shorter !== undefined) out.push(`Mozilla/5.0 (Linux; ${shorter}${otherChar(v.at(-1))}; probe)`);
        break;
      case 'beg': out.push(`${v} probe`, `probe ${v}`, ...(shorter !== undefined ? [shorter] : [])); break;
      case 'end': out.push(`probe ${v}`, `${v} probe`, ...(shorter !== undefined ? [`probe ${otherChar(v[0])}${shorter}`] : [])); break;
      case 'str': out.push(v, `${v}x`); break;
      case 'dir': out.push(`${v}/x`); break;
      default: break;
    }
    if (STRING_MATCHES.has(match) && /[a-z]/i.test(v)) {
      out.push(match === 'sub' ? `probe ${swapCase(v)} probe` : match === 'end' ? `probe ${swapCase(v)}` : match === 'beg' ? `${swapCase(v)} probe` : swapCase(v));
    }
  }
  if (match === 'found') out.push('present', ABSENT);
  out.push('Mozilla/5.0 (X11; Linux x86_64) probe');
  return out;
}

/** Concrete URLs the apps behind the frontend really serve (text routes, static files). */
export function servedPaths(spec: LabSpec, frontend: FrontendSpec): string[] {
  const backends = new Set([frontend.defaultBackend, ...(frontend.rules ?? []).map((r) => /use_backend\s+(\S+)/.exec(r)?.[1]).filter((b): b is string => !!b)]);
  const apps = new Set(spec.backends.filter((b) => backends.has(b.name)).flatMap((b) => b.servers.map((s) => s.app)));
  const out: string[] = [];
  for (const app of spec.apps.filter((a: AppSpec) => apps.has(a.name))) {
    for (const route of app.routes) {
      if (!route.path.includes('<')) out.push(route.path);
      else if (route.staticDir) {
        for (const file of Object.keys(app.files ?? {})) {
          const prefix = `${route.staticDir.replace(/\/$/, '')}/`;
          if (file.startsWith(prefix)) out.push(route.path.replace(/<[^>]+>/, file.slice(prefix.length)));
        }
      }
    }
  }
  return out;
}

function product<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((x) => [...prefix, x])), [[]]);
}

function upperHalf(c: Cidr): Cidr {
  return c.bits >= 32 ? c : { base: (c.base + 2 ** (31 - c.bits)) >>> 0, bits: c.bits + 1 };
}

function sibling(c: Cidr): Cidr | undefined {
  return c.bits === 0 ? undefined : { base: (c.base ^ 2 ** (32 - c.bits)) >>> 0, bits: c.bits };
}

/** Source classes for the frontend's `src` ACLs; the default address when it has none. */
function sourceClasses(acls: readonly ParsedAcl[]): SourceClass[] {
  const cidrs = new Map<string, { cidr: Cidr; text: string }>();
  for (const acl of acls.filter((a) => sampleOf(a) === 'src')) {
    for (const v of acl.values) {
      const cidr = parseCidr(v);
      if (cidr && !cidrs.has(v)) cidrs.set(v, { cidr, text: v });
    }
  }
  if (cidrs.size === 0) return [{ kind: 'default' }];
  const out: SourceClass[] = [];
  for (const c of cidrs.values()) {
    out.push({ kind: 'inside', ...c, block: upperHalf(c.cidr) });
    const near = sibling(c.cidr);
    if (near) out.push({ kind: 'near', ...c, block: near });
  }
  out.push({ kind: 'outside', avoid: [...cidrs.values()].map((c) => c.cidr) });
  return out;
}

/** An address of the class, for deciding what a probe from it would get when none can be sent. */
export function representativeAddress(s: SourceClass): string {
  if (s.kind === 'default') return DEFAULT_SOURCE;
  if (s.kind === 'outside') return ['127.0.0.1', '10.0.0.1', '172.16.0.1', '203.0.113.1'].find((a) => !s.avoid.some((c) => cidrContains(c, a))) ?? DEFAULT_SOURCE;
  const size = 2 ** (32 - s.block.bits);
  return formatIpv4(s.block.base + Math.max(0, size - 2));
}

/** Keeps one probe per single facet value first, then fills at random up to `max`. */
export function sampleProbes(all: readonly AclProbe[], max: number, rng: Rng): AclProbe[] {
  if (all.length <= max) return [...all];
  const shuffled = rng.shuffle(all);
  const keep = new Set<AclProbe>();
  const covered = new Set<string>();
  for (const p of shuffled) {
    const facets = [`p:${p.path}`, `m:${p.method}`, `s:${JSON.stringify(p.source)}`, ...Object.entries(p.headers).map(([h, v]) => `h:${h}:${v}`)];
    if (facets.some((f) => !covered.has(f))) { keep.add(p); facets.forEach((f) => covered.add(f)); }
  }
  for (const p of shuffled) { if (keep.size >= max) break; keep.add(p); }
  // Back in generation order, so that plans read the same way whatever was sampled.
  return all.filter((p) => keep.has(p));
}

/** Every candidate request for the frontend: paths × methods × header values × sources. */
export function aclCandidates(spec: LabSpec, frontend: FrontendSpec, rng: Rng): AclProbe[] {
  const acls = (frontend.acls ?? []).map((a) => parseAcl(a.name, a.criterion));
  const paths = new Set<string>(['/', ...servedPaths(spec, frontend)]);
  const methods = new Set<string>(['GET']);
  const headers = new Map<string, Set<string>>([['User-Agent', new Set([DEFAULT_USER_AGENT])]]);
  for (const acl of acls) {
    const kind = sampleOf(acl);
    if (kind === 'path') pathExamples(acl).forEach((p) => paths.add(p));
    else if (kind === 'method') for (const v of acl.values) { methods.add(v.toUpperCase()); methods.add(v.toUpperCase() === 'GET' ? 'POST' : 'GET'); }
    else if (kind === 'header') {
      const key = [...headers.keys()].find((h) => h.toLowerCase() === acl.arg!.toLowerCase()) ?? acl.arg!;
      const set = headers.get(key) ?? new Set<string>(key === 'User-Agent' ? [] : [ABSENT]);
      headerExamples(acl).forEach((v) => set.add(v));
      headers.set(key, set);
    }
  }
  const sources = sourceClasses(acls);
  const headerNames = [...headers.keys()];
  const headerCombos = product(headerNames.map((h) => [...headers.get(h)!]));
  const all: AclProbe[] = [];
  for (const path of paths) for (const method of methods) for (const combo of headerCombos) for (const source of sources) {
    const sent = headerNames.flatMap((h, i) => (combo[i] === ABSENT ? [] : [[h, combo[i]!] as const]));
    all.push({ method, path, headers: Object.fromEntries(sent), source });
  }
  return sampleProbes(all, MAX_CANDIDATES_PER_FRONTEND, rng.fork('candidates'));
}
