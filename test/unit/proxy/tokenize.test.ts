/**
 * tokenizeLine splits a haproxy.cfg line as HAProxy's parse_line does: columns, quotes, escapes,
 * comments, environment variables, CR, and a clear error for an unclosed quote or bad escape.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { tokenizeLine } from '../../../src/proxy/config/tokenize.js';

const at = { file: 'haproxy.cfg', line: 7 };
const words = (line: string, env: Record<string, string> = {}) => tokenizeLine(line, at, env).map((w) => w.text);

describe('tokenizeLine (HAProxy parse_line rules)', () => {
  it('splits on spaces and tabs and reports 1-based start and end columns', () => {
    const got = tokenizeLine('    server  s1\t127.0.0.1:80   check', at, {});
    expect(got).toEqual([
      { text: 'server', column: 5, end: 11 },
      { text: 's1', column: 13, end: 15 },
      { text: '127.0.0.1:80', column: 16, end: 28 },
      { text: 'check', column: 31, end: 36 },
    ]);
  });

  it('ends a word where it was written: quotes and escapes included, before a glued #', () => {
    const raw = `server s1 "app1:5001"#c x\ y`;
    const got = tokenizeLine(raw, at, {});
    expect(got.map((w) => raw.slice(w.column - 1, w.end - 1))).toEqual(['server', 's1', '"app1:5001"']);
    const escaped = `bind a\\ b 'q' end`;
    expect(tokenizeLine(escaped, at, {}).map((w) => escaped.slice(w.column - 1, w.end - 1))).toEqual(['bind', 'a\\ b', "'q'", 'end']);
  });

  it('drops everything after an unprotected #, even glued to a word', () => {
    expect(words('mode tcp  # Operating in TCP mode')).toEqual(['mode', 'tcp']);
    expect(words('global#this is the global section')).toEqual(['global']);
    expect(words('# only a comment')).toEqual([]);
    expect(words('')).toEqual([]);
  });

  it('keeps # inside quotes and after a backslash', () => {
    expect(words(`acl a path '#x' "#y" \\#z`)).toEqual(['acl', 'a', 'path', '#x', '#y', '#z']);
  });

  it('takes single quotes literally and joins adjacent quoted parts', () => {
    expect(words(`log-format '%{+Q}o %t'\\ %s`)).toEqual(['log-format', '%{+Q}o %t %s']);
    expect(words(`x 'a\\b'`)).toEqual(['x', 'a\\b']);
    expect(words(`x "a b"'c d'e`)).toEqual(['x', 'a bc de']);
  });

  it('handles backslash escapes like HAProxy', () => {
    expect(words('x a\\ b')).toEqual(['x', 'a b']);
    expect(words('x a\\\\b')).toEqual(['x', 'a\\b']);
    expect(words('x \\x41\\x62')).toEqual(['x', 'Ab']);
    expect(words('x \\"q\\\'')).toEqual(['x', `"q'`]);
    // not an escape sequence: the backslash stays, which regexes rely on
    expect(words('acl r path_reg ^/api\\.v1$')).toEqual(['acl', 'r', 'path_reg', '^/api\\.v1$']);
    expect(words('x \\$HOME')).toEqual(['x', '\\$HOME']);
  });

  it('keeps an explicitly empty quoted word', () => {
    expect(words('x "" y')).toEqual(['x', '', 'y']);
  });

  it('expands environment variables only inside double quotes', () => {
    const env = { PORT: '8080', NAME: 'web' };
    expect(words('bind "*:$PORT" $PORT', env)).toEqual(['bind', '*:8080', '$PORT']);
    expect(words('x "${NAME}-1" "${MISSING-dflt}" "\\$NAME"', env)).toEqual(['x', 'web-1', 'dflt', '$NAME']);
    expect(words('x "$.LINE"', env)).toEqual(['x', '7']);
  });

  it('stops at CR like HAProxy (CRLF files)', () => {
    expect(words('mode http\r')).toEqual(['mode', 'http']);
  });

  it('rejects an unclosed quote with its column', () => {
    for (const [line, column] of [["acl b path_beg '/x", 16], ['server s1 "127.0.0.1:80', 11]] as const) {
      try {
        tokenizeLine(line, at, {});
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(BadInputError);
        expect((err as BadInputError).where).toEqual({ file: 'haproxy.cfg', line: 7, column });
        expect((err as BadInputError).oneLine()).toMatch(/^haproxy\.cfg:7:\d+: unmatched (single|double) quote — /);
      }
    }
  });

  it('rejects a bad hex escape and an unclosed variable brace', () => {
    expect(() => tokenizeLine('x \\xZZ', at, {})).toThrow(/hexadecimal/);
    expect(() => tokenizeLine('x "${A"', at, {})).toThrow(/brace/);
  });
});
