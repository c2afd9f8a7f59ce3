/**
 * The hash keys HAProxy extracts for uri, url_param, hdr and source balancing (get_server_uh,
 * _ph, _hh, _sh): which part of a request is hashed, and when a key is missing.
 */
import { describe, expect, it } from 'vitest';
import { fullHash } from '../../../src/proxy/balance/hash-functions.js';
import { KeyHasher, MISSING } from '../../../src/proxy/balance/request-keys.js';
import { settings } from './helpers.js';

const k = new KeyHasher(settings({ algorithm: 'uri' }));
const h = (s: string): number => k.hash(s, 0, s.length);
const U = { whole: false, len: 0, depth: 0, pathOnly: false };

describe('uri key (get_server_uh)', () => {
  it.each([
    ['/a/b/c?x=1', U, '/a/b/c'],
    ['/a/b/c?x=1', { ...U, whole: true }, '/a/b/c?x=1'],
    ['/a/b/c?x=1', { ...U, len: 4 }, '/a/b'],
    ['/a/b/c?x=1', { ...U, depth: 2 }, '/a/b'],
    ['/a/b/c?x=1', { ...U, depth: 1 }, '/a'],
    ['/a?x=/y/z', { ...U, whole: true, depth: 2 }, '/a?x=/y'],
    ['/abc', { ...U, len: 100 }, '/abc'],
    ['http://h.example:80/p/q?r', { ...U, pathOnly: true }, '/p/q'],
    ['http://h.example/p/q?r', { ...U, pathOnly: true, whole: true }, '/p/q?r'],
    ['http://h.example/p/q?r', U, 'http://h.example/p/q'],
    ['http://h.example/p/q?r', { ...U, depth: 1 }, 'http:/'],
    ['http://h.example', { ...U, pathOnly: true }, ''],
    ['h.example:443', { ...U, pathOnly: true }, ''],
    ['*', { ...U, pathOnly: true }, ''],
    ['/p?q', { ...U, pathOnly: true, whole: true }, '/p?q'],
  ])('%s %o hashes %s', (uri, opts, want) => {
    expect(k.uri(uri, opts)).toBe(h(want));
  });
});

describe('url_param key (get_server_ph)', () => {
  it.each([
    ['/p?uid=42', '42'],
    ['/p?a=1&uid=42&b=2', '42'],
    ['/p?xuid=1&uid=42', '42'],
    ['/p?uid=&b=2', ''],
    ['/p?uid=a=b', 'a=b'],
    ['/p?a=1&&uid=7', '7'],
  ])('%s hashes %s', (uri, want) => {
    expect(k.urlParam(uri, 'uid')).toBe(h(want));
  });

  it.each([['/p'], ['/p?UID=1'], ['/p?uid'], ['/p?a=uid=1'], ['/p?x=1&uidd=2'], ['/p?ui']])('%s has no parameter', (uri) => {
    expect(k.urlParam(uri, 'uid')).toBe(MISSING);
  });
});

describe('hdr key (get_server_hh)', () => {
  it.each([
    ['abc', 'abc'],
    ['  abc \t', 'abc'],
    ['abc, def', 'abc'],
    ['"a,b", c', '"a,b"'],
    ['"a\\",b" , c', '"a\\",b"'],
  ])('%j hashes %j', (raw, want) => {
    expect(k.header(raw, false)).toBe(h(want));
  });

  it.each([[undefined], [''], ['   '], [', x']])('%j is missing', (raw) => {
    expect(k.header(raw, false)).toBe(MISSING);
  });

  it('hashes what a plain trim-and-cut reading of the value gives, over blanks, quotes, commas and controls', () => {
    // readHeader has a one-test-per-character loop for plain values and a full pass for the
    // rest; random values over the characters that matter check the two agree with the rule.
    const alphabet = ['a', 'b', '.', ' ', '\t', '\r', '\n', '"', '\\', ',', '!', '#', '\x01', '\xe9', '~'];
    let seed = 11;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let t = 0; t < 20000; t++) {
      const raw = Array.from({ length: next(9) }, () => alphabet[next(alphabet.length)]!).join('');
      const want = expectedValue(raw);
      expect(k.header(raw, false), JSON.stringify(raw)).toBe(want === '' ? MISSING : h(want));
    }
  });

  it.each([
    ['www.example.com', 'example'],
    ['example.com', 'example'],
    ['a.b.example.co.uk', 'co'],
    ['localhost', 'localhost'],
    ['example.com:8080', 'example'],
    // The first character is never looked at as a dot.
    ['.com', '.com'],
    ['.example.com', 'example'],
  ])('use_domain_only: %s hashes %s', (raw, want) => {
    expect(k.header(raw, true)).toBe(h(want));
  });
});

describe('source key (get_server_sh)', () => {
  it('is the IPv4 address as a big-endian number', () => {
    expect(k.source('127.0.0.1')).toBe(0x7f000001);
    expect(k.source('255.255.255.255')).toBe(0xffffffff);
    expect(k.source('10.1.2.3')).toBe(0x0a010203);
  });

  it('XORs the four words of an IPv6 address', () => {
    expect(k.source('::1')).toBe(1);
    expect(k.source('2001:db8::ff00:42:8329')).toBe((0x20010db8 ^ 0 ^ 0x0000ff00 ^ 0x00428329) >>> 0);
    expect(k.source('2001:0db8:0000:0000:0000:ff00:0042:8329')).toBe(k.source('2001:db8::ff00:42:8329'));
    expect(k.source('::ffff:127.0.0.1')).toBe((0x0000ffff ^ 0x7f000001) >>> 0);
    expect(k.source('fe80::1%eth0')).toBe((0xfe800000 ^ 1) >>> 0);
    expect(k.source('1::')).toBe(0x00010000);
  });

  it('rejects what is not an address', () => {
    for (const bad of ['', 'abc', '1.2.3', '1.2.3.256', '1:2:3', '1::2::3', 'unix:/tmp/x', '12345::1']) {
      expect(k.source(bad), bad).toBe(MISSING);
    }
  });

  it('applies the avalanche modifier when asked', () => {
    const ka = new KeyHasher(settings({ algorithm: 'source', hashType: { method: 'consistent', fn: 'sdbm', avalanche: true } }));
    expect(ka.source('127.0.0.1')).toBe(fullHash(0x7f000001));
  });
});

/** The value get_server_hh hashes: leading blanks skipped, cut at a comma outside quotes, trailing blanks dropped. */
function expectedValue(raw: string): string {
  const blank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  let i = 0;
  while (i < raw.length && blank(raw[i]!)) i++;
  let end = i;
  let quoted = false;
  for (; end < raw.length; end++) {
    const c = raw[end]!;
    if (quoted) {
      if (c === '\\') end++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') break;
  }
  let value = raw.slice(i, Math.min(end, raw.length));
  while (value.length && blank(value[value.length - 1]!)) value = value.slice(0, -1);
  return value;
}
