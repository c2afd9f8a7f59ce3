/**
 * Parses ACL expressions (`acl NAME FETCH [-i] [-m M] [--] PATTERNS…`) and conditions
 * (`if|unless [!]ACL [[!]ACL …] [or …]`, with `{ anonymous ACL }`) as HAProxy 2.6's
 * src/acl.c does: options only before the first pattern, the last `-m` wins, an ACL
 * must be declared before a rule uses it, and several `acl` lines with one name OR.
 */
import { BadInputError } from '../../errors.js';
import type { Word } from '../config/tokenize.js';
import { compileMatch, PatternError } from './match.js';
import type { Acl, AclExpression, Condition, ConditionTerm, FetchName, FetchSpec, MatchMethod, SourceRef } from './types.js';

interface KeywordSpec {
  fetch: FetchName;
  match: MatchMethod;
  /** hdr-like: takes an optional (name[,occurrence]) argument. */
  headerArgument?: boolean;
  /** sc_*: the stick counter is the argument (`sc_http_req_rate(0)`); scN_*: fixed by the name. */
  counter?: 'argument' | number;
}

/** ACL keywords (src/http_acl.c) and sample fetches usable directly in an ACL. */
const KEYWORDS: Readonly<Record<string, KeywordSpec>> = (() => {
  const table: Record<string, KeywordSpec> = {};
  const suffixes: Array<[string, MatchMethod]> = [
    ['', 'str'], ['_beg', 'beg'], ['_end', 'end'], ['_sub', 'sub'], ['_reg', 'reg'],
    ['_dir', 'dir'], ['_dom', 'dom'], ['_len', 'len'],
  ];
  for (const [suffix, match] of suffixes) {
    table[`path${suffix}`] = { fetch: 'path', match };
    table[`url${suffix}`] = { fetch: 'url', match };
    table[`hdr${suffix}`] = { fetch: 'hdr', match, headerArgument: true };
  }
  table['req.hdr'] = { fetch: 'hdr', match: 'str', headerArgument: true };
  table['method'] = { fetch: 'method', match: 'method' };
  table['src'] = { fetch: 'src', match: 'ip' };
  table['req_ver'] = { fetch: 'req.ver', match: 'str' };
  table['req.ver'] = { fetch: 'req.ver', match: 'str' };
  table['always_true'] = { fetch: 'always_true', match: 'bool' };
  table['always_false'] = { fetch: 'always_false', match: 'bool' };
  table['ssl_fc'] = { fetch: 'ssl_fc', match: 'bool' };
  table['req.ssl_sni'] = table['req_ssl_sni'] = { fetch: 'req.ssl_sni', match: 'str' };
  table['req.ssl_hello_type'] = table['req_ssl_hello_type'] = { fetch: 'req.ssl_hello_type', match: 'int' };
  for (const fetch of ['sc_http_req_rate', 'sc_http_req_cnt'] as const) {
    table[fetch] = { fetch, match: 'int', counter: 'argument' };
    for (let n = 0; n < 3; n++) table[fetch.replace('sc_', `sc${n}_`)] = { fetch, match: 'int', counter: n };
  }
  return table;
})();

export const SUPPORTED_FETCHES = Object.keys(KEYWORDS).sort();

const MATCH_NAMES: Readonly<Record<string, MatchMethod | 'unsupported'>> = {
  found: 'found', bool: 'bool', str: 'str', beg: 'beg', end: 'end', sub: 'sub', reg: 'reg',
  dir: 'dir', dom: 'dom', len: 'len', ip: 'ip', int: 'int', bin: 'unsupported', regm: 'unsupported',
};

/** Predefined ACLs (doc §7.4) that haplab can evaluate, as the lines that define them. */
const PREDEFINED: Readonly<Record<string, string[]>> = {
  TRUE: ['always_true'],
  FALSE: ['always_false'],
  HTTP: ['always_true'],
  'HTTP_1.0': ['req.ver', '1.0'],
  'HTTP_1.1': ['req.ver', '1.1'],
  HTTP_URL_ABS: ['url_reg', '^[^/:]*://'],
  HTTP_URL_SLASH: ['url_beg', '/'],
  HTTP_URL_STAR: ['url', '*'],
  LOCALHOST: ['src', '127.0.0.1/8', '::1'],
  METH_CONNECT: ['method', 'CONNECT'],
  METH_DELETE: ['method', 'DELETE'],
  METH_GET: ['method', 'GET', 'HEAD'],
  METH_HEAD: ['method', 'HEAD'],
  METH_OPTIONS: ['method', 'OPTIONS'],
  METH_POST: ['method', 'POST'],
  METH_PUT: ['method', 'PUT'],
  METH_TRACE: ['method', 'TRACE'],
};

export interface AclParseContext {
  file: string;
  line: number;
  warn(message: string, where: SourceRef): void;
}

function at(ctx: AclParseContext, word?: Word): SourceRef {
  return { file: ctx.file, line: ctx.line, column: word?.column };
}

const ID_CHAR = /[A-Za-z0-9._\-+$]/;

function parseFetchWord(word: Word, ctx: AclParseContext, aclName: string): { spec: KeywordSpec; fetch: FetchSpec } {
  const text = word.text;
  let end = 0;
  while (end < text.length && ID_CHAR.test(text[end]!)) end++;
  const name = text.slice(0, end);
  const spec = KEYWORDS[name];
  if (!spec) {
    throw new BadInputError(
      `unknown fetch method '${name}' in ACL expression '${text}' (ACL '${aclName}')`,
      at(ctx, word),
      `haplab supports ${SUPPORTED_FETCHES.join(', ')}`,
    );
  }
  const rest = text.slice(end);
  const fetch: FetchSpec = { name: spec.fetch };
  if (typeof spec.counter === 'number') fetch.counter = spec.counter;
  if (spec.counter === 'argument') {
    const n = /^\((\d+)\)$/.exec(rest);
    if (!n || Number(n[1]) > 2) {
      throw new BadInputError(`'${name}' expects a stick counter number from 0 to 2 in ACL expression '${text}'`, at(ctx, word), `write ${name}(0)`);
    }
    fetch.counter = Number(n[1]);
    return { spec, fetch };
  }
  if (rest === '') return { spec, fetch };
  const args = /^\(([^)]*)\)(.*)$/.exec(rest);
  if (!args) {
    throw new BadInputError(`missing closing parenthesis in ACL expression '${text}'`, at(ctx, word), `write ${name}(ARG)`);
  }
  if (args[2] !== '') {
    throw new BadInputError(
      `converters ('${args[2]}') are not supported by haplab in ACL expression '${text}'`,
      at(ctx, word),
      'use -i for case-insensitive matching instead of ,lower',
    );
  }
  if (!spec.headerArgument) {
    if (args[1] === '') return { spec, fetch };
    throw new BadInputError(`ACL keyword '${name}' takes no argument (got '${args[1]}')`, at(ctx, word), `write just '${name}'`);
  }
  const [header, occurrence, extra] = args[1]!.split(',');
  if (extra !== undefined || (occurrence !== undefined && !/^-?\d+$/.test(occurrence.trim()))) {
    throw new BadInputError(`invalid arguments in '${text}'`, at(ctx, word), `write ${name}(HEADER) or ${name}(HEADER,OCCURRENCE)`);
  }
  fetch.headerName = header!.trim();
  if (occurrence !== undefined) fetch.occurrence = Number(occurrence.trim());
  return { spec, fetch };
}

/** Parses the words after `acl NAME` (fetch, options, patterns) into one expression. */
export function parseAclExpression(words: readonly Word[], aclName: string, ctx: AclParseContext): AclExpression {
  const fetchWord = words[0];
  if (!fetchWord) {
    throw new BadInputError(`missing fetch method in ACL '${aclName}'`, at(ctx), 'write: acl NAME FETCH [-i] [-m METHOD] PATTERN…');
  }
  const { spec, fetch } = parseFetchWord(fetchWord, ctx, aclName);
  let match: MatchMethod = spec.match;
  let ignoreCase = false;
  let k = 1;
  for (; k < words.length && words[k]!.text.startsWith('-'); k++) {
    const option = words[k]!;
    if (option.text === '--') {
      k++;
      break;
    }
    if (option.text === '-i') ignoreCase = true;
    else if (option.text === '-n') {
      // no DNS resolution: haplab never resolves patterns anyway
    } else if (option.text === '-m') {
      const methodWord = words[k + 1];
      const method = methodWord ? MATCH_NAMES[methodWord.text] : undefined;
      if (!methodWord || !method) {
        throw new BadInputError(
          `unknown matching method '${methodWord?.text ?? ''}' when parsing ACL expression`,
          at(ctx, methodWord ?? option),
          'use one of found, bool, str, beg, end, sub, reg, dir, dom, len, ip',
        );
      }
      if (method === 'unsupported') {
        throw new BadInputError(`matching method '${methodWord.text}' is not supported by haplab`, at(ctx, methodWord), 'use str, beg, end, sub, reg, dir, dom, len, ip or found');
      }
      if (method === 'int' && spec.match !== 'int') {
        throw new BadInputError(`matching method 'int' cannot be used with fetch keyword '${fetchWord.text}' in haplab`, at(ctx, methodWord), 'haplab compares integers from sc_* fetches only');
      }
      if (method === 'ip' && spec.fetch !== 'src') {
        throw new BadInputError(`matching method 'ip' cannot be used with fetch keyword '${fetchWord.text}' in haplab`, at(ctx, methodWord), "use 'src' for addresses");
      }
      match = method;
      k++;
    } else if (option.text === '-u') {
      k++; // a unique id only matters to the runtime API
    } else if (option.text === '-f' || option.text === '-M') {
      throw new BadInputError(`ACL option '${option.text}' (patterns from a file) is not supported by haplab`, at(ctx, option), 'write the patterns on the acl line');
    } else {
      throw new BadInputError(
        `'${option.text}' is not a valid ACL option`,
        at(ctx, option),
        "use '--' before any pattern beginning with a '-'",
      );
    }
  }
  const patterns = words.slice(k).map((w) => w.text);
  if (patterns.length === 0 && match !== 'found' && match !== 'bool') {
    ctx.warn(`acl '${aclName}': no pattern to match against were provided, so this ACL will never match`, at(ctx, fetchWord));
  }
  let compiled;
  try {
    compiled = compileMatch(match, patterns, ignoreCase);
  } catch (err) {
    if (err instanceof PatternError) throw new BadInputError(`${err.message} in ACL '${aclName}'`, at(ctx, words[k]), 'fix the pattern');
    throw err;
  }
  return {
    keyword: fetchWord.text,
    fetch,
    match,
    ignoreCase,
    patterns,
    where: at(ctx, fetchWord),
    test: compiled,
  };
}

function predefinedAcl(name: string, ctx: AclParseContext, word: Word): Acl | undefined {
  const definition = PREDEFINED[name];
  if (!definition) return undefined;
  const words = definition.map((text) => ({ text, column: word.column, end: word.end }));
  return { name, expressions: [parseAclExpression(words, name, ctx)] };
}

/**
 * Parses a condition from the words after `if`/`unless`. `acls` holds the ACLs declared so
 * far in this section: a later declaration does not count, as in HAProxy.
 */
export function parseCondition(
  polarity: 'if' | 'unless',
  words: readonly Word[],
  acls: ReadonlyMap<string, Acl>,
  ctx: AclParseContext,
  ruleName: string,
): Condition {
  const suites: ConditionTerm[][] = [];
  let suite: ConditionTerm[] | undefined;
  let negated = false;
  for (let k = 0; k < words.length; k++) {
    const word = words[k]!;
    let text = word.text;
    while (text.startsWith('!')) {
      negated = !negated;
      text = text.slice(1);
    }
    if (text === '') continue; // a lone '!' applies to the next word
    if (text.toLowerCase() === 'or' || text === '||') {
      suite = undefined;
      negated = false;
      continue;
    }
    let acl: Acl | undefined;
    if (text === '{') {
      let close = k + 1;
      while (close < words.length && words[close]!.text !== '}') close++;
      if (close >= words.length) {
        throw new BadInputError(`missing closing '}' in condition of ${ruleName}`, at(ctx, word), "close the anonymous ACL with ' }' (spaces around the braces)");
      }
      acl = { name: '(anonymous)', expressions: [parseAclExpression(words.slice(k + 1, close), '(anonymous)', ctx)] };
      k = close;
    } else {
      acl = acls.get(text) ?? predefinedAcl(text, ctx, word);
      if (!acl) {
        throw new BadInputError(
          `no such ACL: '${text}' in ${ruleName}`,
          at(ctx, word),
          `declare it first with 'acl ${text} FETCH PATTERN' above this line in the same section`,
        );
      }
    }
    if (!suite) {
      suite = [];
      suites.push(suite);
    }
    suite.push({ acl, negated });
    negated = false;
  }
  if (suites.length === 0) {
    throw new BadInputError(`missing condition after '${polarity}' in ${ruleName}`, at(ctx, words[0]), `write '${polarity} ACL_NAME'`);
  }
  return { polarity, suites, where: at(ctx, words[0]) };
}

/** Every fetch a condition depends on, e.g. to refuse layer-7 ACLs in a tcp frontend. */
export function conditionFetches(condition: Condition): Set<FetchName> {
  const out = new Set<FetchName>();
  for (const suite of condition.suites) for (const term of suite) for (const e of term.acl.expressions) out.add(e.fetch.name);
  return out;
}
