/**
 * ACL probes, generated from the spec: for every ACL of a frontend, requests that match it
 * and requests that do not (path values, methods, header values, source addresses inside
 * and outside each `src` range), crossed with each other so that combined conditions
 * (`if is_admin_path !is_internal_network`) meet every combination. What each probe must
 * get is not decided here: the RouteOracle decides it from the spec's rules.
 */
import type { AppSpec, FrontendSpec, LabSpec } from '../../spec/types.js';
import { parseCidr, type Cidr } from '../cidr.js';
import type { Rng } from '../rng.js';

export interface ParsedAcl {
  name: string;
  fetch: string;
  /** hdr(NAME) / req.hdr(NAME): the header name. */
  arg?: string;
  ignoreCase: boolean;
  /** -m METHOD: str, sub, beg, end, dir, reg, found… */
  match?: string;
  values: string[];
}

export function parseAcl(name: string, criterion: string): ParsedAcl {
  const words = criterion.trim().split(/\s+/);
  const head = words.shift() ?? '';
  const m = /^([a-z_.]+)(?:\(([^)]*)\))?$/.exec(head);
  const acl: ParsedAcl = { name, fetch: m?.[1] ?? head, arg: m?.[2], ignoreCase: false, values: [] };
  while (words.length) {
    const w = words.shift()!;
    if (w === '-i') acl.ignoreCase = true;
    else if (w === '-m') acl.match = words.shift();
    else if (w === '--') { acl.values.push(...words.splice(0)); }
    else acl.values.push(w);
  }
  return acl;
}

/** A source-address class a probe speaks from. */
export type SourceClass =
  | { kind: 'default' }
  | { kind: 'inside'; cidr: Cidr; text: string }
  | { kind: 'outside'; avoid: Cidr[] };

export interface AclProbe {
  method: string;
  path: string;
  headers: Record<string, string>;
  source: SourceClass;
}

export const DEFAULT_USER_AGENT = 'haplab-probe/1.0';
/** Probes per frontend at most; beyond it a seeded sample keeps every value at least once. */
export const MAX_PROBES_PER_FRONTEND = 300;

function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
}

/** Paths that match a path ACL, and paths that do not. */
function pathExamples(acl: ParsedAcl): string[] {
  const out: string[] = [];
  for (const v of acl.values) {
    const base = v.startsWith('/') ? v : `/${v}`;
    switch (acl.fetch) {
      case 'path': case 'url': out.push(base, `${base}x`); break;
      case 'path_beg': case 'url_beg': out.push(base, `${base.replace(/\/$/, '')}/probe.txt`, `/x${base}`); break;
      case 'path_end': out.push(`/probe${base}`, `${base}/x`); break;
      case 'path_sub': out.push(`/a${base}b`); break;
      case 'path_dir': out.push(`${base.replace(/\/$/, '')}/x`, `${base.replace(/\/$/, '')}x/y`); break;
      default: break; // path_reg: no generator for regular expressions; app routes cover it
    }
    // Case: a match when -i is given, a non-match otherwise — either way worth a probe.
    if (/[a-z]/i.test(base) && acl.fetch !== 'path_reg') out.push(swapCase(base));
  }
  return out;
}

/** Header values that match a header ACL, and ones that do not. */
function headerExamples(acl: ParsedAcl): string[] {
  const out: string[] = [];
  const match = acl.match ?? 'str';
  for (const v of acl.values) {
    if (match === 'sub') out.push(`Mozilla/5.0 (Linux; ${v}; probe)`);
    else if (match === 'beg') out.push(`${v} probe`);
    else if (match === 'end') out.push(`probe ${v}`);
    else if (match !== 'reg') out.push(v);
    if (/[a-z]/i.test(v)) out.push(match === 'sub' ? `probe ${swapCase(v)} probe` : swapCase(v));
  }
  out.push(acl.match === 'found' ? 'present' : 'Mozilla/5.0 (X11; Linux x86_64) probe');
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

export function aclProbes(spec: LabSpec, frontend: FrontendSpec, rng: Rng): AclProbe[] {
  const acls = (frontend.acls ?? []).map((a) => parseAcl(a.name, a.criterion));
  const paths = new Set<string>(['/', ...servedPaths(spec, frontend)]);
  const methods = new Set<string>(['GET']);
  const headers = new Map<string, Set<string>>([['User-Agent', new Set([DEFAULT_USER_AGENT])]]);
  const cidrs: { cidr: Cidr; text: string }[] = [];
  for (const acl of acls) {
    if (acl.fetch.startsWith('path') || acl.fetch.startsWith('url')) pathExamples(acl).forEach((p) => paths.add(p));
    else if (acl.fetch === 'method') for (const v of acl.values) { methods.add(v.toUpperCase()); methods.add(v.toUpperCase() === 'GET' ? 'POST' : 'GET'); }
    else if ((acl.fetch === 'hdr' || acl.fetch === 'req.hdr') && acl.arg) {
      const key = [...headers.keys()].find((h) => h.toLowerCase() === acl.arg!.toLowerCase()) ?? acl.arg;
      const set = headers.get(key) ?? new Set<string>();
      headerExamples(acl).forEach((v) => set.add(v));
      headers.set(key, set);
    } else if (acl.fetch === 'src') for (const v of acl.values) {
      const cidr = parseCidr(v);
      if (cidr) cidrs.push({ cidr, text: v });
    }
  }
  const sources: SourceClass[] = cidrs.length
    ? [...cidrs.map((c) => ({ kind: 'inside' as const, ...c })), { kind: 'outside', avoid: cidrs.map((c) => c.cidr) }]
    : [{ kind: 'default' }];
  const headerNames = [...headers.keys()];
  const headerCombos = product(headerNames.map((h) => [...headers.get(h)!]));
  const all: AclProbe[] = [];
  for (const path of paths) for (const method of methods) for (const combo of headerCombos) for (const source of sources) {
    all.push({ method, path, headers: Object.fromEntries(headerNames.map((h, i) => [h, combo[i]!])), source });
  }
  if (all.length <= MAX_PROBES_PER_FRONTEND) return all;
  // Too many combinations: keep one probe per single value first, then fill at random.
  const shuffled = rng.shuffle(all);
  const keep = new Set<AclProbe>();
  const covered = new Set<string>();
  for (const p of shuffled) {
    const facets = [`p:${p.path}`, `m:${p.method}`, `s:${JSON.stringify(p.source)}`, ...Object.entries(p.headers).map(([h, v]) => `h:${h}:${v}`)];
    if (facets.some((f) => !covered.has(f))) { keep.add(p); facets.forEach((f) => covered.add(f)); }
  }
  for (const p of shuffled) { if (keep.size >= MAX_PROBES_PER_FRONTEND) break; keep.add(p); }
  return [...keep];
}
