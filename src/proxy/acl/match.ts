/**
 * Match methods (HAProxy src/pattern.c): each compiles its patterns once and returns a
 * test over the samples of one request — true when any sample matches any pattern.
 * Comparisons are on bytes (JS strings of Latin-1 here); `-i` folds ASCII case only,
 * like strncasecmp.
 */
import { addressInNetwork, parseNetwork, type IpNetwork } from './ip.js';
import type { MatchMethod, Sample } from './types.js';

export type SampleTest = (samples: readonly Sample[]) => boolean;

/** HAProxy's find_http_meth: these compare by identity, any other method by string. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'CONNECT', 'PUT', 'OPTIONS', 'DELETE', 'TRACE']);

function asciiLower(s: string): string {
  // toLowerCase() would also fold non-ASCII letters, which strncasecmp does not.
  return /[^\x00-\x7f]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s.toLowerCase();
}

function sampleText(sample: Sample): string | undefined {
  if (sample.kind === 'str' || sample.kind === 'method') return sample.value;
  return undefined;
}

/** Words delimited like HAProxy's match_word(): delimiters stripped from the pattern's ends. */
function matchWord(text: string, pattern: string, delimiters: string, icase: boolean): boolean {
  let a = 0;
  let b = pattern.length;
  while (a < b && delimiters.includes(pattern[a]!)) a++;
  while (b > a && delimiters.includes(pattern[b - 1]!)) b--;
  let word = pattern.slice(a, b);
  if (word.length > text.length) return false;
  if (icase) {
    word = asciiLower(word);
    text = asciiLower(text);
  }
  const last = text.length - word.length;
  let mayMatch = true;
  for (let c = 0; c <= last; c++) {
    if (delimiters.includes(text[c]!)) {
      mayMatch = true;
      continue;
    }
    if (!mayMatch) continue;
    if (text.startsWith(word, c) && (c === last || delimiters.includes(text[c + word.length]!))) return true;
    mayMatch = false;
  }
  return false;
}

function parseLengthRange(pattern: string): ((n: number) => boolean) | undefined {
  const m = /^(\d*)(?::(\d*))?$/.exec(pattern);
  if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
  const min = m[1] === '' ? undefined : Number(m[1]);
  const max = m[2] === undefined ? min : m[2] === '' ? undefined : Number(m[2]);
  return (n) => (min === undefined || n >= min) && (max === undefined || n <= max);
}

export class PatternError extends Error {}

/** Builds the test for one expression; throws PatternError on a pattern HAProxy would refuse. */
export function compileMatch(method: MatchMethod, patterns: readonly string[], ignoreCase: boolean): SampleTest {
  const fold = (s: string) => (ignoreCase ? asciiLower(s) : s);
  const anyText = (pred: (text: string) => boolean): SampleTest => (samples) => {
    for (const s of samples) {
      const text = sampleText(s);
      if (text !== undefined && pred(text)) return true;
    }
    return false;
  };

  switch (method) {
    case 'found':
      return (samples) => samples.length > 0;
    case 'bool':
      return (samples) => samples.some((s) => (s.kind === 'bool' ? s.value : sampleText(s) !== undefined));
    case 'str': {
      const set = new Set(patterns.map(fold));
      return anyText((t) => set.has(fold(t)));
    }
    case 'beg': {
      const list = patterns.map(fold);
      return anyText((t) => {
        const f = fold(t);
        return list.some((p) => f.startsWith(p));
      });
    }
    case 'end': {
      const list = patterns.map(fold);
      return anyText((t) => {
        const f = fold(t);
        return list.some((p) => f.endsWith(p));
      });
    }
    case 'sub': {
      const list = patterns.map(fold);
      return anyText((t) => {
        const f = fold(t);
        return list.some((p) => f.includes(p));
      });
    }
    case 'reg': {
      const regexes = patterns.map((p) => {
        try {
          return new RegExp(p, ignoreCase ? 'i' : '');
        } catch (err) {
          throw new PatternError(`regex '${p}' is invalid: ${(err as Error).message}`);
        }
      });
      return anyText((t) => regexes.some((r) => r.test(t)));
    }
    case 'dir':
      return anyText((t) => patterns.some((p) => matchWord(t, p, '/?', ignoreCase)));
    case 'dom':
      return anyText((t) => patterns.some((p) => matchWord(t, p, '/?.:', ignoreCase)));
    case 'len': {
      const ranges = patterns.map((p) => {
        const r = parseLengthRange(p);
        if (!r) throw new PatternError(`'${p}' is not a number or a range like 3:8`);
        return r;
      });
      return anyText((t) => ranges.some((r) => r(t.length)));
    }
    case 'ip':
      return compileIp(patterns);
    case 'int':
      return compileInt(patterns);
    case 'method': {
      const known = new Set(patterns.filter((p) => KNOWN_METHODS.has(p)));
      const others = patterns.filter((p) => !KNOWN_METHODS.has(p)).map(fold);
      return (samples) => {
        for (const s of samples) {
          if (s.kind !== 'method') continue;
          // A known request method only equals the same known pattern (never `-i post`),
          // an unknown one only the same string: exactly HAProxy's pat_match_meth.
          if (KNOWN_METHODS.has(s.value)) {
            if (known.has(s.value)) return true;
          } else if (others.includes(fold(s.value))) return true;
        }
        return false;
      };
    }
  }
}

function compileIp(patterns: readonly string[]): SampleTest {
  const networks: IpNetwork[] = [];
  for (const p of patterns) {
    const net = parseNetwork(p);
    if (!net) throw new PatternError(`'${p}' is not a valid IPv4 or IPv6 address`);
    networks.push(net);
  }
  return (samples) => {
    for (const s of samples) {
      if (s.kind !== 'ip') continue;
      for (const net of networks) if (addressInNetwork(s.value, net)) return true;
    }
    return false;
  };
}

/**
 * Integer patterns as HAProxy's acl.c and pat_parse_int read them: `N`, a range `N:M`,
 * `:M` or `N:`, and the operators eq, ge, gt, le, lt, each applying to the numbers after it
 * (`gt 20` is `21:`).
 */
export function parseIntPatterns(patterns: readonly string[]): Array<{ min: number; max: number }> {
  const ranges: Array<{ min: number; max: number }> = [];
  let operator = 'eq';
  for (const p of patterns) {
    if (['eq', 'ge', 'gt', 'le', 'lt'].includes(p)) {
      operator = p;
      continue;
    }
    const range = /^(-?\d*):(-?\d*)$/.exec(p);
    if (range && (range[1] !== '' || range[2] !== '')) {
      ranges.push({ min: range[1] === '' ? -Infinity : Number(range[1]), max: range[2] === '' ? Infinity : Number(range[2]) });
      continue;
    }
    if (!/^-?\d+$/.test(p)) throw new PatternError(`'${p}' is not an integer value`);
    const n = Number(p);
    const byOperator: Record<string, { min: number; max: number }> = {
      eq: { min: n, max: n }, ge: { min: n, max: Infinity }, gt: { min: n + 1, max: Infinity },
      le: { min: -Infinity, max: n }, lt: { min: -Infinity, max: n - 1 },
    };
    ranges.push(byOperator[operator]!);
  }
  return ranges;
}

function compileInt(patterns: readonly string[]): SampleTest {
  const ranges = parseIntPatterns(patterns);
  return (samples) => {
    for (const s of samples) {
      if (s.kind !== 'int') continue;
      for (const r of ranges) if (s.value >= r.min && s.value <= r.max) return true;
    }
    return false;
  };
}
