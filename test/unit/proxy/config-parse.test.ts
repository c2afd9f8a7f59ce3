/**
 * parseConfig reads the seed configs (refusing ep08, as HAProxy 2.6 does) and HAProxy's
 * sections, defaults, time units, server options, balance forms and routing rules into the model.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { seedConfigs } from '../../helpers/seed-configs.js';

describe('the seed configs', () => {
  const configs = seedConfigs();

  it('finds all of them', () => {
    expect(configs.length).toBe(13);
  });

  it('parses every one except ep08, which HAProxy 2.6 rejects too', () => {
    for (const { name, text } of configs) {
      const file = `seed:${name}`;
      if (text.includes('random draw')) {
        expect(() => parseConfig(text, { file })).toThrow(/unknown keyword 'random' in 'backend' section/);
        continue;
      }
      const config = parseConfig(text, { file });
      expect(config.proxies.length, file).toBeGreaterThan(0);
    }
  });

  it('reads ep09 weighted round robin as written', () => {
    const text = configs.find((c) => c.text.includes('weight 2'))!.text;
    const config = parseConfig(text);
    const servers = config.backends.get('servers')!;
    expect(servers.mode).toBe('http');
    expect(servers.balance.algorithm).toBe('roundrobin');
    expect(servers.servers.map((s) => [s.name, s.host, s.port, s.weight, s.check, s.id])).toEqual([
      ['server1', 'app1', 5001, 2, true, 1],
      ['server2', 'app2', 5002, 1, true, 2],
      ['server3', 'app3', 5003, 3, true, 3],
    ]);
    expect(servers.timeouts).toEqual({ connect: 5000, client: 50000, server: 50000 });
    expect(config.frontends[0]!.binds).toEqual([{ host: '0.0.0.0', port: 80, where: expect.anything() }]);
  });

  it('reads ep07 consistent hashing: sdbm with avalanche, as HAProxy implies', () => {
    const text = configs.find((c) => c.text.includes('balance source'))!.text;
    expect(parseConfig(text).backends.get('servers')!.balance).toMatchObject({
      algorithm: 'source',
      hashType: { method: 'consistent', fn: 'sdbm', avalanche: true },
    });
  });

  it('reads ep02 in tcp mode with inline comments', () => {
    const text = configs.find((c) => c.text.includes('tcp_front'))!.text;
    const config = parseConfig(text);
    expect(config.frontends[0]!.mode).toBe('tcp');
    expect(config.frontends[0]!.binds[0]!.port).toBe(4000);
  });
});

describe('parseConfig', () => {
  it('applies the last defaults section, which resets the previous one', () => {
    const config = parseConfig(`
defaults
    mode http
    timeout client 5s
    balance leastconn
backend a
    server s 127.0.0.1:1
defaults
    timeout connect 2s
backend b
    server s 127.0.0.1:1
`);
    const a = config.backends.get('a')!;
    const b = config.backends.get('b')!;
    expect([a.mode, a.balance.algorithm, a.timeouts]).toEqual(['http', 'leastconn', { client: 5000 }]);
    expect([b.mode, b.balance.algorithm, b.timeouts]).toEqual(['tcp', 'roundrobin', { connect: 2000 }]);
  });

  it('supports named defaults and `from`', () => {
    const config = parseConfig(`
defaults web
    mode http
    timeout server 1m
defaults tcpish from web
    mode tcp
defaults
    timeout server 3s
backend a from web
    server s 127.0.0.1:1
backend b from tcpish
    server s 127.0.0.1:1
backend c
    server s 127.0.0.1:1
`);
    expect(config.backends.get('a')!.mode).toBe('http');
    expect(config.backends.get('b')!.mode).toBe('tcp');
    expect(config.backends.get('b')!.timeouts.server).toBe(60_000);
    expect(config.backends.get('c')!.timeouts.server).toBe(3000);
  });

  it('makes a listen section both frontend and backend', () => {
    const config = parseConfig(`
listen web
    mode http
    bind :8080
    server s1 127.0.0.1:5001
`);
    expect(config.frontends.map((f) => f.name)).toEqual(['web']);
    expect(config.backends.get('web')!.binds[0]).toMatchObject({ host: '0.0.0.0', port: 8080 });
  });

  it('understands HAProxy time units', () => {
    const config = parseConfig(`
backend b
    timeout connect 5000
    timeout server 50000ms
    timeout queue 2s
    timeout check 1m
    timeout tunnel 1h
    timeout http-request 1d
    timeout server-fin 1500us
`);
    expect(config.backends.get('b')!.timeouts).toEqual({
      connect: 5000, server: 50000, queue: 2000, check: 60_000, tunnel: 3_600_000, httpRequest: 86_400_000, serverFin: 2,
    });
  });

  it('reads server options, default-server and HAProxy server ids', () => {
    const config = parseConfig(`
backend b
    default-server inter 3s fall 5
    server a 127.0.0.1:1 id 7
    server b 127.0.0.1:2 check rise 4 weight 0
    server c 127.0.0.1:3 id 3 backup disabled maxconn 10
    server d [::1]:4 init-addr none
    server e 127.0.0.1
`);
    const servers = config.backends.get('b')!.servers;
    expect(servers.map((s) => s.id)).toEqual([7, 2, 3, 4, 5]);
    expect(servers[1]).toMatchObject({ check: true, rise: 4, fall: 5, inter: 3000, weight: 0 });
    expect(servers[2]).toMatchObject({ backup: true, disabled: true, maxconn: 10 });
    expect(servers[3]).toMatchObject({ host: '::1', port: 4, initAddr: 'none' });
    expect(servers[4]).toMatchObject({ host: '127.0.0.1', port: undefined, inter: 3000, rise: 2 });
  });

  it('parses every balance form and hash-type', () => {
    const balance = (line: string, hash = '') =>
      parseConfig(`backend b\n    mode http\n    ${line}\n${hash ? `    ${hash}\n` : ''}`).backends.get('b')!.balance;
    expect(balance('balance random')).toMatchObject({ algorithm: 'random', draws: 2 });
    expect(balance('balance random(3)')).toMatchObject({ algorithm: 'random', draws: 3 });
    expect(balance('balance static-rr').algorithm).toBe('static-rr');
    expect(balance('balance first').algorithm).toBe('first');
    expect(balance('balance uri whole len 12 depth 3 path-only')).toMatchObject({
      algorithm: 'uri',
      uri: { whole: true, len: 12, depth: 3, pathOnly: true },
    });
    expect(balance('balance hdr(Host) use_domain_only')).toMatchObject({ algorithm: 'hdr', arg: 'Host', useDomainOnly: true });
    expect(balance('balance url_param userid')).toMatchObject({ algorithm: 'url_param', arg: 'userid' });
    expect(balance('balance source', 'hash-type map-based').hashType).toEqual({ method: 'map-based', fn: 'sdbm', avalanche: false });
    // HAProxy cannot hash layer 7 in tcp mode: it falls back to round robin, with a warning.
    const tcp = parseConfig('backend b\n    balance uri\n');
    expect(tcp.backends.get('b')!.balance.algorithm).toBe('roundrobin');
    expect(tcp.warnings[0]!.message).toMatch(/Layer 7 hash not possible/);
    expect(balance('balance source', 'hash-type consistent djb2').hashType).toEqual({ method: 'consistent', fn: 'djb2', avalanche: false });
    expect(balance('balance source', 'hash-type map-based crc32 avalanche').hashType).toEqual({ method: 'map-based', fn: 'crc32', avalanche: true });
  });

  it('reads the routing rules of a frontend', () => {
    const config = parseConfig(`
defaults
    mode http
frontend f
    bind 127.0.0.1:8080
    bind :8081,:8082
    acl api path_beg /api
    acl api path_beg /v2
    http-request deny deny_status 429 if api { src 10.0.0.0/8 }
    use_backend b if api
    default_backend b
    option forwardfor header X-Client if-none
    stats uri /stats
backend b
    option httpchk GET /health
    option redispatch
    retries 2
    server s 127.0.0.1:1 check
`);
    const f = config.frontends[0]!;
    expect(f.binds.map((b) => `${b.host}:${b.port}`)).toEqual(['127.0.0.1:8080', '0.0.0.0:8081', '0.0.0.0:8082']);
    expect(f.acls.get('api')!.expressions.map((e) => e.patterns)).toEqual([['/api'], ['/v2']]);
    expect(f.httpRequestRules[0]).toMatchObject({ action: 'deny', status: 429 });
    expect(f.switchingRules[0]!.backend).toBe('b');
    expect(f.defaultBackend!.name).toBe('b');
    expect(f.options.forwardFor).toEqual({ header: 'X-Client', ifNone: true, except: undefined });
    expect(f.statsUri).toBe('/stats');
    const b = config.backends.get('b')!;
    expect(b.options.httpCheck).toEqual({ method: 'GET', uri: '/health', version: 'HTTP/1.0' });
    expect([b.options.redispatch, b.options.redispatchInterval, b.retries]).toEqual([true, -1, 2]);
  });

  it('warns, like HAProxy, about keywords a section cannot use and frontends without bind', () => {
    const config = parseConfig(`
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    balance roundrobin
    default_backend b
backend b
    bind :9999
    server s 127.0.0.1:1
`);
    expect(config.warnings.map((w) => [w.where.line, w.message])).toEqual([
      [8, "'balance' ignored because frontend 'f' has no backend capability"],
      [11, "'bind' ignored because backend 'b' has no frontend capability"],
      [7, "frontend 'f' has no 'bind' directive. Please declare it as a backend if this was intended."],
    ]);
  });

  it('accepts process settings in global but says it ignores some', () => {
    const config = parseConfig('global\n    daemon\n    maxconn 4096\n    nbthread 2\n    user haproxy\n    log stdout format raw local0\n');
    expect(config.global).toMatchObject({ daemon: true, maxconn: 4096, nbthread: 2 });
    expect(config.warnings[0]!.message).toMatch(/'user' is ignored/);
  });

  it('suggests the keyword that was probably meant', () => {
    try {
      parseConfig('backend b\n    balanse roundrobin\n');
      expect.unreachable();
    } catch (err) {
      expect((err as BadInputError).oneLine()).toMatch(/unknown keyword 'balanse' in 'backend' section — did you mean 'balance'\?$/);
    }
  });

  it('throws BadInputError whose one line names file, line and column', () => {
    try {
      parseConfig('backend b\n    server s 127.0.0.1:1\n    frobnicate 1\n', { file: 'haproxy.cfg' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadInputError);
      expect((err as BadInputError).oneLine()).toMatch(/^haproxy\.cfg:3:5: unknown keyword 'frobnicate' in 'backend' section — /);
      expect((err as BadInputError).exitCode).toBe(2);
    }
  });
});
