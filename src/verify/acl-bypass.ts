/**
 * Warnings for deny rules a learner could walk around: HAProxy's path ACLs compare the raw
 * request target, byte for byte (no case folding without -i, no percent-decoding, no
 * slash merging — test/integration/proxy-path-tricks.test.ts proves it for 2.6), while the
 * lab's Flask apps run on Werkzeug's server, which turns `//admin` and `/%61dmin` into
 * `/admin` before routing. Only ACLs that make a deny rule fire are looked at: a missed
 * use_backend routes elsewhere, a missed deny serves what was meant to be refused.
 */
import type { AclSpec, FrontendSpec } from '../lab-schema/types.js';
import { effectiveMatch, parseAcl, sampleOf, type AclMatch } from './models/acl-criterion.js';

type Match = Extract<AclMatch, 'str' | 'beg' | 'end' | 'sub' | 'reg' | 'dir' | 'dom'>;

interface PathAcl {
  name: string;
  criterion: string;
  /** `url…` fetches see an absolute-form target whole, `path…` only its path. */
  url: boolean;
  match: Match;
  ignoreCase: boolean;
  patterns: string[];
}

const STRING_MATCHES: ReadonlySet<AclMatch> = new Set<AclMatch>(['str', 'beg', 'end', 'sub', 'reg', 'dir', 'dom']);

/** The ACL if it is a path/url string comparison, as HAProxy reads `FETCH [-i] [-m M] [--] PATTERNS`. */
function pathAcl(acl: AclSpec): PathAcl | undefined {
  const parsed = parseAcl(acl.name, acl.criterion);
  const match = effectiveMatch(parsed);
  if (sampleOf(parsed) !== 'path' || !STRING_MATCHES.has(match) || parsed.values.length === 0) return undefined;
  return { name: acl.name, criterion: acl.criterion.trim(), url: parsed.fetch.startsWith('url'), match: match as Match, ignoreCase: parsed.ignoreCase, patterns: parsed.values };
}

/** Names of the ACLs whose match makes some `http-request deny` fire. */
function denyingAcls(rules: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const rule of rules) {
    const words = rule.trim().split(/\s+/);
    if (words[0] !== 'http-request' || words[1] !== 'deny') continue;
    const at = words.findIndex((w) => w === 'if' || w === 'unless');
    if (at < 0) continue;
    const unless = words[at] === 'unless';
    for (const word of words.slice(at + 1)) {
      if (word === 'or' || word === '||') continue;
      const negated = word.startsWith('!');
      // `if A` and `unless !A` deny when A matches; the rest deny when it does not.
      if (negated === unless) out.add(word.replace(/^!+/, ''));
    }
  }
  return out;
}

/** The literal text a pattern starts with: the pattern itself, or a regex's anchored prefix. */
function literalOf(acl: PathAcl, pattern: string): string | undefined {
  if (acl.match !== 'reg') return pattern;
  const m = /^\^((?:[^\\.[\]()*+?{}|$^])*)/.exec(pattern);
  return m && m[1]!.length > 1 ? m[1] : undefined;
}

/** True when the pattern must match from the first byte of the path (or of the target). */
function anchoredAtStart(acl: PathAcl, pattern: string): boolean {
  if (acl.match === 'str' || acl.match === 'beg') return pattern.startsWith('/');
  return acl.match === 'reg' && pattern.startsWith('^/');
}

function percentEncodeFirst(text: string): string | undefined {
  const at = [...text].findIndex((c) => /[A-Za-z0-9._~-]/.test(c));
  if (at < 0) return undefined;
  return `${text.slice(0, at)}%${text.charCodeAt(at).toString(16)}${text.slice(at + 1)}`;
}

function otherCase(text: string): string | undefined {
  if (!/[A-Za-z]/.test(text)) return undefined;
  const upper = text.toUpperCase();
  return upper !== text ? upper : text.toLowerCase();
}

/** A request path carrying `text` where this ACL would look for its pattern. */
function where(acl: PathAcl, text: string): string {
  if (acl.match === 'str' || acl.match === 'beg') return `'${text}'`;
  return acl.match === 'end' ? `a path ending in '${text}'` : `a path containing '${text}'`;
}

function warningsFor(acl: PathAcl): string[] {
  const label = `ACL '${acl.name}' (${acl.criterion})`;
  const literals = acl.patterns.flatMap((p) => {
    const literal = literalOf(acl, p);
    return literal === undefined ? [] : [{ pattern: p, literal }];
  });
  const out: string[] = [];

  const anchored = literals.find((l) => anchoredAtStart(acl, l.pattern));
  if (anchored) {
    out.push(
      `${label} is bypassed by '/${anchored.literal}': HAProxy compares the raw path, which then ${acl.match === 'str' ? 'is not' : 'does not begin with'} ${anchored.literal}, ` +
        `while Flask's server merges the leading slashes and routes it as ${anchored.literal}.`,
    );
    if (acl.url) {
      out.push(
        `${label} is bypassed by the absolute form 'GET http://HOST${anchored.literal}': the url fetch sees the whole target, ` +
          `which does not begin with ${anchored.literal}, while Flask routes it as ${anchored.literal}.`,
      );
    }
  }

  const encodable = literals.map((l) => ({ ...l, encoded: percentEncodeFirst(l.literal) })).find((l) => l.encoded !== undefined);
  if (encodable) {
    out.push(
      `${label} is bypassed by ${where(acl, encodable.encoded!)}: HAProxy does not decode percent-encoding before matching, ` +
        `while Flask's server decodes it to ${encodable.literal} before routing.`,
    );
  }

  if (!acl.ignoreCase) {
    const cased = literals.map((l) => ({ ...l, other: otherCase(l.literal) })).find((l) => l.other !== undefined);
    if (cased) {
      out.push(
        `${label} has no -i, so ${where(acl, cased.other!)} does not match it and reaches the backend, ` +
          `which serves it whenever a route (such as a catch-all /<path:…>) accepts that spelling.`,
      );
    }
  }
  return out;
}

/** One sentence per ACL and trick that lets a request around one of `frontend`'s deny rules. */
export function aclBypassWarnings(frontend: FrontendSpec): string[] {
  const denying = denyingAcls(frontend.rules ?? []);
  const out: string[] = [];
  for (const acl of frontend.acls ?? []) {
    if (!denying.has(acl.name)) continue;
    const parsed = pathAcl(acl);
    if (parsed) out.push(...warningsFor(parsed));
  }
  return out;
}
