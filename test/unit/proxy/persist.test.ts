/**
 * Session persistence in the proxy, piece by piece (the parity test compares the whole with
 * HAProxy): the cookie's reading and removal, the stick table's expiry and size, when a
 * response is cacheable for `nocache`, and the config lines haplab refuses rather than runs
 * differently.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/proxy/config/index.js';
import type { CookieConfig } from '../../../src/proxy/config/model.js';
import { responseCacheable } from '../../../src/proxy/persist/cacheability.js';
import { cookieRequest, cookieResponse } from '../../../src/proxy/persist/cookie.js';
import { StickTable, stickKey } from '../../../src/proxy/persist/stick-table.js';

const at = { file: 't.cfg', line: 1 };
const insert = (extra: Partial<CookieConfig> = {}): CookieConfig => ({ name: 'SERVERID', indirect: true, nocache: false, postonly: false, httponly: false, secure: false, where: at, ...extra });
const servers = [
  { name: 'a', up: true, config: { cookie: 'ca' } },
  { name: 'b', up: false, config: { cookie: 'cb' } },
  { name: 'b2', up: true, config: { cookie: 'cb' } },
  { name: 'c', up: true, config: {} },
];

describe('cookie insert: the request', () => {
  it('sends a known cookie to its server and, with indirect, removes only that pair', () => {
    const r = cookieRequest(insert(), servers, ['Host', 'x', 'Cookie', 'a=1; SERVERID=ca; b=2', 'Accept', '*/*']);
    expect(r.server?.name).toBe('a');
    expect(r.rawHeaders).toEqual(['Host', 'x', 'Cookie', 'a=1; b=2', 'Accept', '*/*']);
  });

  it('drops a Cookie header left empty, and keeps the headers as they are without indirect', () => {
    expect(cookieRequest(insert(), servers, ['Cookie', 'SERVERID=ca', 'X', 'y']).rawHeaders).toEqual(['X', 'y']);
    const plain = ['Cookie', 'SERVERID=ca'];
    expect(cookieRequest(insert({ indirect: false }), servers, plain).rawHeaders).toBe(plain);
  });

  it('skips a server that is down for the next one with the same cookie, and ignores empty or unknown values', () => {
    expect(cookieRequest(insert(), servers, ['Cookie', 'SERVERID=cb']).server?.name).toBe('b2');
    expect(cookieRequest(insert(), servers, ['Cookie', 'SERVERID=']).server).toBeUndefined();
    expect(cookieRequest(insert(), servers, ['Cookie', 'SERVERID=zz']).server).toBeUndefined();
    expect(cookieRequest(insert(), servers, ['Cookie', 'XSERVERID=ca']).server).toBeUndefined();
  });

  it('reads a |date suffix as not part of the value, and asks for a fresh cookie when it is in the past', () => {
    const r = cookieRequest(insert(), servers, ['Cookie', 'SERVERID=ca|AAAAB']);
    expect(r.server?.name).toBe('a');
    expect(r.refresh).toBe(true);
    expect(cookieRequest(insert(), servers, ['Cookie', 'SERVERID=ca']).refresh).toBe(false);
  });
});

describe('cookie insert: the response', () => {
  it('sets the cookie only when the request did not go directly to its server', () => {
    expect(cookieResponse(insert(), servers[0]!, true, 'GET', 200, [])).toEqual([]);
    expect(cookieResponse(insert(), servers[0]!, false, 'GET', 200, [])).toEqual(['Set-Cookie', 'SERVERID=ca; path=/']);
  });

  it('expires the cookie of a server without one, and honours postonly, httponly and secure', () => {
    expect(cookieResponse(insert(), servers[3]!, false, 'GET', 200, [])).toEqual(['Set-Cookie', 'SERVERID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/']);
    expect(cookieResponse(insert({ postonly: true }), servers[0]!, false, 'GET', 200, [])).toEqual([]);
    expect(cookieResponse(insert({ httponly: true, secure: true }), servers[0]!, false, 'GET', 200, [])[1]).toBe('SERVERID=ca; path=/; HttpOnly; Secure');
  });

  it('nocache adds Cache-control: private only to a cacheable answer', () => {
    const nocache = insert({ nocache: true });
    expect(cookieResponse(nocache, servers[0]!, false, 'GET', 200, ['ETag', '"x"'])).toEqual(['Set-Cookie', 'SERVERID=ca; path=/', 'Cache-control', 'private']);
    expect(cookieResponse(nocache, servers[0]!, false, 'GET', 200, [])).toEqual(['Set-Cookie', 'SERVERID=ca; path=/']);
  });
});

describe('responseCacheable (HAProxy 2.6 rules)', () => {
  it('needs a safe method, a cacheable status, and freshness or a validator', () => {
    expect(responseCacheable('GET', 200, ['Last-Modified', 'x'])).toBe(true);
    expect(responseCacheable('GET', 200, ['Cache-Control', 'max-age=60'])).toBe(true);
    expect(responseCacheable('GET', 200, [])).toBe(false);
    expect(responseCacheable('POST', 200, ['ETag', '"x"'])).toBe(false);
    expect(responseCacheable('GET', 302, ['ETag', '"x"'])).toBe(false);
  });

  it('refuses private, no-cache, no-store, a lone max-age=0 and Pragma: no-cache', () => {
    for (const cc of ['private', 'no-cache', 'no-store', 'max-age=0', 's-maxage=0']) expect(responseCacheable('GET', 200, ['ETag', '"x"', 'Cache-Control', cc]), cc).toBe(false);
    expect(responseCacheable('GET', 200, ['ETag', '"x"', 'Cache-Control', 'max-age=0, s-maxage=30'])).toBe(true);
    expect(responseCacheable('GET', 200, ['ETag', '"x"', 'Pragma', 'no-cache'])).toBe(false);
  });
});

describe('StickTable', () => {
  it('keeps an entry until expire after its last touch, then forgets it', () => {
    let now = 0;
    const t = new StickTable(10, 1000, () => now);
    t.store('1.2.3.4', 2);
    now = 900;
    expect(t.lookup('1.2.3.4')?.serverId).toBe(2);
    now = 1800; // touched at 900: alive until 1900
    expect(t.lookup('1.2.3.4')?.serverId).toBe(2);
    now = 2800;
    expect(t.lookup('1.2.3.4')).toBeUndefined();
  });

  it('updates the server of an entry, and makes room in a full table by dropping the oldest', () => {
    let now = 0;
    const t = new StickTable(2, undefined, () => now);
    t.store('a', 1);
    now = 1;
    t.store('b', 1);
    t.store('a', 3);
    now = 2;
    t.store('c', 1);
    expect(t.lookup('b')).toBeUndefined();
    expect(t.lookup('a')?.serverId).toBe(3);
    expect(t.count).toBe(2);
  });

  it('keys IPv4-mapped IPv6 addresses by their IPv4 address', () => {
    expect(stickKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('persistence in haproxy.cfg', () => {
  const cfg = (lines: string) => `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:18080\n    default_backend b\nbackend b\n${lines}\n    server s1 127.0.0.1:5001 cookie a\n`;

  it('reads cookie, stick-table and stick on src', () => {
    const b = parseConfig(cfg('    cookie SERVERID insert indirect nocache\n    stick-table type ip size 1k expire 3s\n    stick on src')).backends.get('b')!;
    expect(b.persistence.cookie).toMatchObject({ name: 'SERVERID', indirect: true, nocache: true });
    expect(b.persistence.stick.table).toMatchObject({ size: 1024, expireMs: 3000 });
    expect(b.servers[0]!.cookie).toBe('a');
  });

  it('refuses, with HAProxy\'s message, a stick rule without a table', () => {
    expect(() => parseConfig(cfg('    stick on src'))).toThrow(/unable to find stick-table 'b'/);
  });

  it('refuses what haplab does not run rather than running it differently', () => {
    for (const line of ['    cookie SERVERID', '    cookie SERVERID prefix', '    stick-table type string size 1k\n    stick on src', '    stick-table type ip size 1k\n    stick match src']) {
      expect(() => parseConfig(cfg(line)), line).toThrow(BadInputError);
    }
  });
});
