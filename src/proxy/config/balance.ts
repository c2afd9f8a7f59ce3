/** `balance` and `hash-type`, parsed as HAProxy 2.6 does (backend_parse_balance, cfgparse-listen.c). */
import { BadInputError } from '../../errors.js';
import type { BalanceSettings } from '../balance/types.js';
import type { ConfigWarning, SourceRef } from './model.js';
import type { Word } from './tokenize.js';
import { MAX_INT } from './values.js';

const BALANCE_HINT = "use roundrobin, static-rr, leastconn, first, random[(N)], source, uri, url_param NAME or hdr(NAME)";

function positive(word: Word | undefined, what: string, where: SourceRef): number {
  // HAProxy reads these with atoi(): digits first, trailing junk ignored, must be > 0.
  const n = word ? parseInt(word.text, 10) : NaN;
  // Past 2^31 − 1 HAProxy's int wraps: it refuses depth 2147483648, so do we, and len too.
  if (!word || !(n > 0) || n > MAX_INT) {
    throw new BadInputError(`uri : '${what}' expects a positive integer (got '${word?.text ?? ''}')`, { ...where, column: word?.column }, `write '${what} N' with N ≥ 1`);
  }
  return n;
}

/** Parses C strtol(…, 0): decimal, 0x hex or 0 octal; returns the value and what follows. */
function strtol(text: string): { value: number; rest: string } {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?(.*)$/s.exec(text)!;
  const digits = m[2];
  if (!digits) return { value: 0, rest: text };
  const value = digits.startsWith('0x') || digits.startsWith('0X') ? parseInt(digits, 16) : digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  return { value: m[1] === '-' ? -value : value, rest: m[3]! };
}

export function parseBalance(
  words: readonly Word[],
  balance: BalanceSettings,
  where: SourceRef,
  warnings: ConfigWarning[],
): void {
  const first = words[0];
  const errorAt = (word: Word | undefined, message: string, hint = BALANCE_HINT) =>
    new BadInputError(`balance ${message}`, { ...where, column: word?.column }, hint);
  const extra = (from: number) => {
    const w = words[from];
    if (w) warnings.push({ message: `balance ${first?.text}: ignoring extra argument '${w.text}'`, where: { ...where, column: w.column } });
  };
  const set = (algorithm: BalanceSettings['algorithm']) => {
    balance.algorithm = algorithm;
    delete balance.arg;
    delete balance.uri;
    delete balance.useDomainOnly;
  };

  if (!first) {
    set('roundrobin');
    return;
  }
  const text = first.text;
  if (text === 'roundrobin' || text === 'static-rr' || text === 'first' || text === 'leastconn' || text === 'source') {
    set(text);
    extra(1);
    return;
  }
  if (text.startsWith('random')) {
    // Like HAProxy, anything starting with "random" selects it; "(N)" sets the draws.
    set('random');
    balance.draws = 2;
    if (text[6] === '(' && text[7] !== ')') {
      const { value, rest } = strtol(text.slice(7));
      if (rest[0] !== ')') {
        throw errorAt(first, rest === '' ? 'random : missing closing parenthesis.' : `random : unexpected character '${rest[0]}' after argument.`, 'write random(2)');
      }
      // HAProxy reads the draws into an int: 2147483648 wraps negative and is refused there too.
      if (value < 1 || value > MAX_INT) throw errorAt(first, 'random : number of draws must be at least 1.', 'write random(2)');
      balance.draws = value;
    }
    extra(1);
    return;
  }
  if (text === 'uri') {
    set('uri');
    const uri = { whole: false, len: 0, depth: 0, pathOnly: false };
    for (let k = 1; k < words.length; k++) {
      const w = words[k]!;
      if (w.text === 'len') uri.len = positive(words[++k], 'len', where);
      else if (w.text === 'depth') uri.depth = positive(words[++k], 'depth', where);
      else if (w.text === 'whole') uri.whole = true;
      else if (w.text === 'path-only') uri.pathOnly = true;
      else throw errorAt(w, `uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '${w.text}').`, 'remove the unknown parameter');
    }
    balance.uri = uri;
    return;
  }
  if (text === 'url_param') {
    const name = words[1];
    if (!name || name.text === '') throw errorAt(first, 'url_param requires an URL parameter name.', 'write balance url_param NAME');
    set('url_param');
    balance.arg = name.text;
    const modifier = words[2];
    if (modifier && modifier.text !== 'check_post') {
      throw errorAt(modifier, `url_param only accepts 'check_post' modifier (got '${modifier.text}').`, 'remove it');
    }
    if (modifier) throw errorAt(modifier, "url_param 'check_post' is not supported by haplab", 'remove check_post');
    return;
  }
  if (text.startsWith('hdr(')) {
    const close = text.indexOf(')', 4);
    if (close <= 4) throw errorAt(first, 'hdr requires an http header field name.', 'write balance hdr(Host)');
    set('hdr');
    balance.arg = text.slice(4, close);
    const modifier = words[1];
    if (modifier) {
      if (modifier.text !== 'use_domain_only') {
        throw errorAt(modifier, `${text} only accepts 'use_domain_only' modifier (got '${modifier.text}').`, 'remove it');
      }
      balance.useDomainOnly = true;
    }
    return;
  }
  if (text === 'hash' || text.startsWith('rdp-cookie')) {
    throw errorAt(first, `'${text}' is not supported by haplab`, BALANCE_HINT);
  }
  throw errorAt(first, `only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options (got '${text}').`);
}

export function parseHashType(words: readonly Word[], balance: BalanceSettings, where: SourceRef): void {
  const [methodWord, fnWord, modifierWord] = words;
  const fail = (word: Word | undefined, message: string, hint: string) =>
    new BadInputError(message, { ...where, column: word?.column }, hint);
  let method: 'map-based' | 'consistent';
  if (methodWord?.text === 'consistent' || methodWord?.text === 'map-based') method = methodWord.text;
  else if (methodWord?.text === 'avalanche') {
    throw fail(methodWord, "experimental feature 'hash-type avalanche' is not supported anymore", "write 'hash-type map-based sdbm avalanche'");
  } else throw fail(methodWord, "'hash-type' only supports 'consistent' and 'map-based'", 'write hash-type consistent or hash-type map-based');

  if (!fnWord) {
    // Without a function, sdbm; consistent hashing then also implies avalanche.
    balance.hashType = { method, fn: 'sdbm', avalanche: method === 'consistent' };
    return;
  }
  const fn = fnWord.text;
  if (fn !== 'sdbm' && fn !== 'djb2' && fn !== 'wt6' && fn !== 'crc32') {
    throw fail(fnWord, "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions", 'pick one of sdbm, djb2, crc32, wt6');
  }
  if (modifierWord && modifierWord.text !== 'avalanche') {
    throw fail(modifierWord, "'hash-type' only supports 'avalanche' as a modifier for hash functions", "write 'avalanche' or nothing");
  }
  balance.hashType = { method, fn, avalanche: modifierWord !== undefined };
}
