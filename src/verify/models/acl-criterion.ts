/**
 * An `acl` criterion (`FETCH [-i] [-m METHOD] [--] PATTERNS…`, the rest of the line after
 * the name) read into its parts and written back, so that probe generation can derive
 * matching and non-matching requests from it and coverage can change one part at a time.
 * The spec validated every criterion with haplab's ACL parser (src/proxy/acl), so the
 * shapes here only need to be told apart, not checked.
 */
import { tokenizeLine } from '../../proxy/config/tokenize.js';

/** How an ACL compares a sample with its patterns (HAProxy's -m methods, and `ip`/`method`). */
export type AclMatch = 'str' | 'beg' | 'end' | 'sub' | 'dir' | 'dom' | 'reg' | 'len' | 'found' | 'bool' | 'ip' | 'method';

export interface ParsedAcl {
  name: string;
  /** The fetch keyword without its argument: path_beg, req.hdr, src, method… */
  fetch: string;
  /** hdr(NAME) / req.hdr(NAME): the argument as written. */
  arg?: string;
  ignoreCase: boolean;
  /** -m METHOD as written (str, sub, beg, end, dir, reg, found…); absent: the keyword's own. */
  match?: string;
  /** Other options, kept verbatim so the criterion can be written back (-n, -u ID). */
  flags: string[];
  values: string[];
}

export function parseAcl(name: string, criterion: string): ParsedAcl {
  const words = tokenizeLine(criterion, { file: 'lab.yaml', line: 1 }, {}).map((w) => w.text);
  const head = words.shift() ?? '';
  const m = /^([a-z_.]+)(?:\(([^)]*)\))?$/.exec(head);
  const acl: ParsedAcl = { name, fetch: m?.[1] ?? head, arg: m?.[2], ignoreCase: false, flags: [], values: [] };
  // Options come before the first pattern only, as in HAProxy.
  while (words.length && words[0]!.startsWith('-')) {
    const w = words.shift()!;
    if (w === '--') break;
    if (w === '-i') acl.ignoreCase = true;
    else if (w === '-m') acl.match = words.shift();
    else if (w === '-u') acl.flags.push(w, words.shift() ?? '');
    else acl.flags.push(w);
  }
  acl.values.push(...words);
  return acl;
}

function quote(word: string): string {
  return /^[^\s"'#\\$]+$/.test(word) ? word : `"${word.replace(/["\\$]/g, '\\$&')}"`;
}

/** The criterion text of a (possibly changed) ACL, as it goes on the `acl` line. */
export function formatAcl(acl: ParsedAcl): string {
  const head = acl.arg === undefined ? acl.fetch : `${acl.fetch}(${acl.arg})`;
  const options = [...acl.flags, ...(acl.ignoreCase ? ['-i'] : []), ...(acl.match ? ['-m', acl.match] : [])];
  const dashes = acl.values.some((v) => v.startsWith('-')) ? ['--'] : [];
  return [head, ...options, ...dashes, ...acl.values.map(quote)].join(' ');
}

const SUFFIX_MATCH: Readonly<Record<string, AclMatch>> = {
  '': 'str', _beg: 'beg', _end: 'end', _sub: 'sub', _reg: 'reg', _dir: 'dir', _dom: 'dom', _len: 'len',
};

/** What the ACL compares: the request path/URL, a header, the method or the source address. */
export function sampleOf(acl: ParsedAcl): 'path' | 'header' | 'method' | 'src' | 'other' {
  if (/^(path|url)(_[a-z]+)?$/.test(acl.fetch)) return 'path';
  if (/^hdr(_[a-z]+)?$/.test(acl.fetch) || acl.fetch === 'req.hdr') return acl.arg ? 'header' : 'other';
  if (acl.fetch === 'method') return 'method';
  if (acl.fetch === 'src') return 'src';
  return 'other';
}

/** The comparison in effect: the last -m, else the keyword's own (path_beg → beg). */
export function effectiveMatch(acl: ParsedAcl): AclMatch {
  if (acl.match) return acl.match as AclMatch;
  if (acl.fetch === 'method') return 'method';
  if (acl.fetch === 'src') return 'ip';
  const suffix = /^(?:path|url|hdr)(_[a-z]+)?$/.exec(acl.fetch);
  if (suffix) return SUFFIX_MATCH[suffix[1] ?? ''] ?? 'str';
  return 'str';
}

/** String comparisons, where case (-i) and near-miss values mean something. */
export const STRING_MATCHES: ReadonlySet<AclMatch> = new Set(['str', 'beg', 'end', 'sub', 'dir']);

export function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
}

/**
 * The pattern one character shorter on the side the comparison is open to: a prefix loses
 * its last character, a suffix its first (`/static` → `/stati`, `.png` → `png`).
 */
export function shorterPattern(value: string, match: AclMatch): string | undefined {
  const shorter = match === 'end' ? value.slice(1) : value.slice(0, -1);
  return shorter.length > 0 && shorter !== '/' ? shorter : undefined;
}

/** A character that differs from `c`, to put next to a near-miss value. */
export function otherChar(c: string | undefined): string {
  return c === 'q' ? 'z' : 'q';
}
