/**
 * Stick tables in haplab's proxy, alone: the frequency counter against HAProxy's formulas
 * (include/haproxy/freq_ctr.h, src/freq_ctr.c) worked by hand, the table's expiry and
 * size, keys from client addresses, the `stick-table` and `track-scN` lines, integer
 * matching, and the rule evaluation tracking then reading a counter.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { routeRequest } from '../../../src/proxy/acl/index.js';
import { parseIntPatterns } from '../../../src/proxy/acl/match.js';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { FreqCtr, StickTable, keyOf, parseStickTable, stickTablesOf } from '../../../src/proxy/stick-table/index.js';

const words = (line: string) => line.split(' ').map((text, i) => ({ text, column: i + 1, end: i + 2 }));
const at = () => ({ file: 't', line: 1 });

describe('FreqCtr (HAProxy freq_ctr over a period)', () => {
  it('opens its first period at the first event (rounded down to an even ms) and counts within it', () => {
    const c = new FreqCtr();
    expect(c.update(1_000_001, 1000)).toBe(1);
    expect(c.currTick).toBe(1_000_000);
    c.update(1_000_500, 1000);
    expect(c.read(1_000_999, 1000)).toBe(2);
  });

  it('weighs the previous period by the part of it still in the window, rounded down', () => {
    const c = new FreqCtr();
    for (let i = 0; i < 8; i++) c.update(10_000, 1000);
    // 250 ms into the next period: 8 × 750/1000 = 6.
    expect(c.read(11_250, 1000)).toBe(6);
    expect(c.update(11_250, 1000)).toBe(1);
    expect(c.currTick).toBe(11_000);
    expect(c.read(11_250, 1000)).toBe(7);
    // 900 ms in: 1 + floor(8 × 0.1) = 1.
    expect(c.read(11_900, 1000)).toBe(1);
  });

  it('forgets everything after two idle periods, and re-opens its period at the next event', () => {
    const c = new FreqCtr();
    for (let i = 0; i < 5; i++) c.update(10_000, 1000);
    expect(c.read(12_000, 1000)).toBe(0);
    c.update(12_345, 1000);
    expect(c.prevCtr).toBe(0);
    expect(c.currTick).toBe(12_344);
  });

  it('reads one past event as 1 with nothing current (HAProxy\'s low-rate correction)', () => {
    const c = new FreqCtr();
    c.update(10_000, 1000);
    expect(c.read(11_900, 1000)).toBe(1);
  });

  it('survives the 32-bit tick wrap as HAProxy\'s unsigned ticks do', () => {
    const c = new FreqCtr();
    const wrap = 2 ** 32;
    c.update(wrap - 200, 1000);
    c.update(wrap + 100, 1000);
    expect(c.read(wrap + 200, 1000)).toBe(2);
  });
});

describe('StickTable', () => {
  const config = { type: 'ip' as const, size: 2, expireMs: 1000, store: { httpReqCnt: true } };

  it('expires entries `expire` after they were last touched', () => {
    const t = new StickTable('t', config, () => 0);
    const e = t.getOrCreate('a', 0)!;
    t.touch(e, 500);
    expect(t.lookup('a', 1499)).toBe(e);
    expect(t.lookup('a', 1500)).toBeUndefined();
  });

  it('makes room by dropping the entry that expires first when full', () => {
    const t = new StickTable('t', config, () => 0);
    t.getOrCreate('a', 0);
    t.getOrCreate('b', 10);
    t.getOrCreate('c', 20);
    expect(t.lookup('a', 20)).toBeUndefined();
    expect(t.lookup('b', 20)).toBeDefined();
  });

  it('keys type ip by IPv4, IPv4-mapped IPv6 included, and refuses other IPv6', () => {
    const t = new StickTable('t', config);
    expect(keyOf(t, '::ffff:127.0.0.2')).toBe(keyOf(t, '127.0.0.2'));
    expect(keyOf(t, '127.0.0.2')).not.toBe(keyOf(t, '127.0.0.3'));
    expect(keyOf(t, '2001:db8::1')).toBeUndefined();
  });
});

describe('the stick-table and track-sc lines', () => {
  it('reads type, size with a k suffix, expire and the stored data', () => {
    expect(parseStickTable(words('type ip size 100k expire 30s store http_req_rate(10s),http_req_cnt'), at)).toEqual({
      type: 'ip', size: 102_400, expireMs: 30_000, store: { httpReqCnt: true, httpReqRatePeriod: 10_000 },
    });
  });

  it.each([
    ['size 10', 'missing type'],
    ['type ip', 'missing size'],
    ['type ip size 10 store http_req_rate', 'expects a period'],
    ['type ip size 10 store conn_cur', 'not counted by haplab'],
    ['type ip size 10 store bogus', 'unknown data type'],
    ['type mac size 10', 'unknown type'],
  ])('refuses %s (%s)', (line, message) => {
    expect(() => parseStickTable(words(line), at)).toThrow(new RegExp(message.replace(/[()]/g, '\\$&')));
  });

  it('refuses a track-sc rule with no table to track into, as haproxy -c does', () => {
    const cfg = 'frontend f\n  mode http\n  bind :1\n  http-request track-sc0 src\n  default_backend b\nbackend b\n  mode http\n  server s 127.0.0.1:2\n';
    expect(() => parseConfig(cfg, { file: 't', env: {} })).toThrow(/unable to find table 'f'/);
  });

  it('refuses two stick-tables in one section', () => {
    const cfg = 'frontend f\n  bind :1\n  stick-table type ip size 1\n  stick-table type ip size 1\n';
    expect(() => parseConfig(cfg, { file: 't', env: {} })).toThrow(BadInputError);
  });
});

describe('integer matching (pat_parse_int with operators)', () => {
  it('turns operators into ranges, and keeps an operator for the numbers after it', () => {
    expect(parseIntPatterns(['gt', '20'])).toEqual([{ min: 21, max: Infinity }]);
    expect(parseIntPatterns(['lt', '3', '7'])).toEqual([{ min: -Infinity, max: 2 }, { min: -Infinity, max: 6 }]);
    expect(parseIntPatterns(['5:9', ':2'])).toEqual([{ min: 5, max: 9 }, { min: -Infinity, max: 2 }]);
  });
});

describe('rules: track, then read the counter', () => {
  const cfg = `frontend f
  mode http
  bind :1
  stick-table type ip size 10 expire 30s store http_req_rate(1s)
  http-request track-sc0 src
  http-request deny deny_status 429 if { sc0_http_req_rate gt 2 }
  default_backend b
backend b
  mode http
  server s 127.0.0.1:2
`;
  it('allows two requests per period per address, refuses the third, and counts another address apart', () => {
    const parsed = parseConfig(cfg, { file: 't', env: {} });
    let now = 50_000;
    const tables = stickTablesOf(parsed.proxies, () => now)!;
    const route = (src: string) => routeRequest(parsed.frontends[0]!, { method: 'GET', uri: '/', headers: [], sourceAddress: src, counters: tables.forRequest() }, parsed.backends).action;
    expect(['1.1.1.1', '1.1.1.1', '1.1.1.1', '2.2.2.2'].map(route)).toEqual(['backend', 'backend', 'deny', 'backend']);
    now += 2000;
    expect(route('1.1.1.1')).toBe('backend');
  });
});
