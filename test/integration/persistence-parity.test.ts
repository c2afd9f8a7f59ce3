/**
 * Session persistence next to HAProxy 2.6, on the same config and the same requests:
 * `cookie NAME insert [indirect] [nocache]` (which server a cookie sends to, what the server
 * sees of the Cookie header, when Set-Cookie and Cache-control are added, a cookie naming a
 * down server, a redispatch), and `stick-table type ip … expire` with `stick on src`
 * (sticking by source address, re-balancing once the entry expired).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import { reservePort, send, startHaproxy, startNamedBackends, type HaproxyProcess, type NamedBackends, type Probe } from './proxy-helpers.js';

/** What a client can tell of one answer: who served, what it saw, what it was told to keep. */
interface Seen {
  status: number;
  body: string;
  setCookie?: string;
  cacheControl?: string;
}

const FRONTENDS = ['cookie_ind', 'cookie_plain', 'cookie_down', 'cookie_redisp', 'stick'] as const;
type Front = (typeof FRONTENDS)[number];

describeWithTool(HAPROXY, 'session persistence parity with HAProxy 2.6', () => {
  let apps: NamedBackends;
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  const ports: Record<'haproxy' | 'ts', Record<Front, number>> = { haproxy: {} as Record<Front, number>, ts: {} as Record<Front, number> };

  const config = (p: Record<Front, number>) => `
global
    nbthread 1
defaults
    mode http
    timeout connect 200ms
    timeout client 5s
    timeout server 5s

frontend cookie_ind
    bind 127.0.0.1:${p.cookie_ind}
    default_backend cookie_ind
frontend cookie_plain
    bind 127.0.0.1:${p.cookie_plain}
    default_backend cookie_plain
frontend cookie_down
    bind 127.0.0.1:${p.cookie_down}
    default_backend cookie_down
frontend cookie_redisp
    bind 127.0.0.1:${p.cookie_redisp}
    default_backend cookie_redisp
frontend stick
    bind 127.0.0.1:${p.stick}
    default_backend stick

backend cookie_ind
    cookie SERVERID insert indirect nocache
    server s1 127.0.0.1:${apps.ports.a} weight 2 cookie c1
    server s2 127.0.0.1:${apps.ports.b} weight 1 cookie c2
    server s3 127.0.0.1:${apps.ports.c} weight 3 cookie c3
backend cookie_plain
    cookie SERVERID insert httponly
    server s1 127.0.0.1:${apps.ports.a} cookie c1
    server s2 127.0.0.1:${apps.ports.b}
backend cookie_down
    cookie SERVERID insert indirect
    server dead 127.0.0.1:1 cookie dead check inter 100ms
    server s1 127.0.0.1:${apps.ports.a} cookie c1
    server s2 127.0.0.1:${apps.ports.b} cookie c2
backend cookie_redisp
    cookie SERVERID insert indirect
    option redispatch
    server dead 127.0.0.1:1 cookie dead
    server s1 127.0.0.1:${apps.ports.a} cookie c1
    server s2 127.0.0.1:${apps.ports.b} cookie c2
backend stick
    stick-table type ip size 1k expire 1500ms
    stick on src
    server s1 127.0.0.1:${apps.ports.a}
    server s2 127.0.0.1:${apps.ports.b}
    server s3 127.0.0.1:${apps.ports.c}
`;

  beforeAll(async () => {
    // Each app answers its name and the Cookie header it received; /lm adds a validator,
    // which makes the answer cacheable (so `nocache` shows).
    apps = await startNamedBackends(['a', 'b', 'c'], (name, req, res) => {
      req.resume();
      if (req.url === '/lm') res.setHeader('Last-Modified', 'Wed, 21 Oct 2015 07:28:00 GMT');
      res.end(`${name} cookie=${req.headers.cookie ?? '-'}`);
      return true;
    });
    for (const proxy of ['haproxy', 'ts'] as const) for (const f of FRONTENDS) ports[proxy][f] = await reservePort();
    haproxy = await startHaproxy(config(ports.haproxy), ports.haproxy.stick);
    ours = await startProxy(parseConfig(config(ports.ts)));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await apps?.close();
  });

  const one = async (proxy: 'haproxy' | 'ts', front: Front, probe: Probe): Promise<Seen> => {
    const r = await send(ports[proxy][front], probe);
    const setCookie = r.headers['set-cookie']?.join(' / ');
    const cacheControl = r.headers['cache-control'];
    return { status: r.status, body: r.body, ...(setCookie ? { setCookie } : {}), ...(cacheControl ? { cacheControl } : {}) };
  };

  /** The same requests, in order, to each proxy; both lists of answers. */
  const both = async (front: Front, probes: Probe[]) => {
    const out = { haproxy: [] as Seen[], ts: [] as Seen[] };
    for (const probe of probes) {
      out.haproxy.push(await one('haproxy', front, probe));
      out.ts.push(await one('ts', front, probe));
    }
    return out;
  };

  const cookie = (value: string | string[]): Probe => ({ path: '/', headers: { cookie: value } });

  it('insert indirect nocache: new clients balanced and told their server, cookies honoured and hidden from the app', async () => {
    const probes: Probe[] = [
      ...Array.from({ length: 6 }, () => ({ path: '/' })),
      cookie('SERVERID=c2'), { path: '/' }, cookie('SERVERID=c2'), { path: '/' }, cookie('SERVERID=c2'),
      cookie('a=1; SERVERID=c3; b=2'), cookie('SERVERID=c1'), cookie('x=1; SERVERID=c1'),
      cookie(['a=1', 'SERVERID=c2']), cookie('SERVERID=bogus'), cookie('SERVERID='), cookie('SERVERID=c3|AbCdE'),
      { path: '/lm' }, { path: '/lm', headers: { cookie: 'SERVERID=c1' } }, { path: '/lm', method: 'POST', body: '' },
      { path: '/', method: 'HEAD' },
    ];
    const seen = await both('cookie_ind', probes);
    expect(seen.ts).toEqual(seen.haproxy);
    // What HAProxy did, so the equality above cannot hold vacuously.
    expect(seen.haproxy.slice(0, 6).map((s) => s.setCookie)).toEqual(expect.arrayContaining(['SERVERID=c1; path=/', 'SERVERID=c2; path=/', 'SERVERID=c3; path=/']));
    expect(seen.haproxy[6]).toEqual({ status: 200, body: 'b cookie=-' });
    expect(seen.haproxy[11]!.body).toBe('c cookie=a=1; b=2');
    expect(seen.haproxy.find((s) => s.cacheControl)?.cacheControl).toBe('private');
  });

  it('insert without indirect: the app sees the cookie; a server without a cookie gets it removed', async () => {
    const seen = await both('cookie_plain', [{ path: '/' }, { path: '/' }, cookie('SERVERID=c1'), cookie('a=b; SERVERID=c1'), cookie('SERVERID=zz')]);
    expect(seen.ts).toEqual(seen.haproxy);
    expect(seen.haproxy[2]!.body).toBe('a cookie=SERVERID=c1');
    expect(seen.haproxy.some((s) => s.setCookie?.startsWith('SERVERID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/'))).toBe(true);
  });

  it('a cookie naming a server marked down is balanced and gets a new cookie', async () => {
    // `dead` starts on the edge (health = rise): its first failed check (100 ms) takes it down.
    await new Promise((r) => setTimeout(r, 600));
    const seen = await both('cookie_down', [cookie('SERVERID=dead'), cookie('SERVERID=dead'), { path: '/' }, cookie('SERVERID=dead')]);
    expect(seen.ts).toEqual(seen.haproxy);
    expect(seen.haproxy.every((s) => s.status === 200 && s.setCookie !== undefined && !s.setCookie.includes('dead'))).toBe(true);
  });

  it('option redispatch: a cookie naming a server that refuses is redispatched and gets a new cookie', async () => {
    const seen = await both('cookie_redisp', [cookie('SERVERID=dead'), cookie('SERVERID=dead'), cookie('SERVERID=c2')]);
    expect(seen.ts).toEqual(seen.haproxy);
    expect(seen.haproxy[0]!.status).toBe(200);
    expect(seen.haproxy[0]!.setCookie).toMatch(/^SERVERID=c[12]; path=\/$/);
    expect(seen.haproxy[2]!.setCookie).toBeUndefined();
  });

  it('stick on src: each address keeps its server until its entry expires, then is balanced again', async () => {
    const from = (n: number): Probe => ({ path: '/', source: `127.0.0.${n}` });
    const round = [2, 3, 4, 5, 2, 3, 4, 5, 6, 2].map(from);
    const first = await both('stick', round);
    expect(first.ts).toEqual(first.haproxy);
    const served = (s: Seen) => s.body.split(' ')[0];
    expect(served(first.haproxy[4]!)).toBe(served(first.haproxy[0]!));
    // Each request touched its entry; wait past `expire` (1500 ms) from the last one.
    await new Promise((r) => setTimeout(r, 1900));
    const second = await both('stick', [2, 6, 3, 2].map(from));
    expect(second.ts).toEqual(second.haproxy);
    expect(new Set(first.haproxy.map(served)).size).toBe(3);
    // 127.0.0.2 came back after its entry expired: balanced again, and the rotation had moved
    // on (5 picks since its own), so it lands elsewhere; then it sticks to the new server.
    expect(served(second.haproxy[0]!)).not.toBe(served(first.haproxy[0]!));
    expect(served(second.haproxy[3]!)).toBe(served(second.haproxy[0]!));
  }, 20_000);
});
