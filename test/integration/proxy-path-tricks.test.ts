/**
 * Path tricks against `acl is_admin path_beg /admin` + `http-request deny if is_admin`
 * (and the `-i` variant): Debian's HAProxy 2.6 and haplab's proxy get the same request
 * targets byte for byte on raw sockets, and must agree on every one — the status, and for
 * what passes, the target the server received. Neither normalises: `//admin`, `%61dmin`,
 * `/./admin` all reach the server, which is the bypass src/verify/acl-bypass.ts warns of.
 * Then `src` ACLs: decided on the connection's address, never on X-Forwarded-For.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import {
  rawExchange,
  reservePort,
  send,
  startHaproxy,
  startNamedBackends,
  type HaproxyProcess,
  type NamedBackends,
} from './proxy-helpers.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';

interface Ports {
  exact: number;
  nocase: number;
  bySrc: number;
}

function config(p: Ports, app: number): string {
  return `global
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend exact
    bind 127.0.0.1:${p.exact}
    acl is_admin path_beg /admin
    http-request deny if is_admin
    default_backend app

frontend nocase
    bind 127.0.0.1:${p.nocase}
    acl is_admin path_beg -i /admin
    http-request deny if is_admin
    default_backend app

frontend by_src
    bind 127.0.0.1:${p.bySrc}
    option forwardfor
    acl trusted src 127.0.0.1
    http-request deny unless trusted
    default_backend app

backend app
    server app1 127.0.0.1:${app}
`;
}

/** Request targets, sent as they are written here (ASCII unless noted). */
const TARGETS = [
  '/admin', '/admin/', '/adminx', '/admin?x', '/admin?x=/public', '/admin#x', '/admin;x',
  '/admin%2f', '/admin%2F', '/admin%00', '/admin%', '/admin\\', '/admin ',
  '//admin', '///admin', '//%61dmin', '/./admin', '/.%2e/admin', '/admin/../admin',
  '/public/../admin', '/public/%2e%2e/admin', '/%2e%2e/admin', '/%2E%2E/admin', '/%2fadmin',
  '/%61dmin', '/ad%6din', '/%41DMIN', '/%u0061dmin', '/%zzadmin', '/%20admin',
  '/ADMIN', '/Admin', '/aDmIn/x', '/;/admin', '/\\admin', '/public?/admin', '/public#/admin',
  'http://x/admin', 'HTTP://x/admin', 'http://x//admin', 'http://x/%61dmin', 'http://x', '*',
  'admin', 'x/admin', '/\tadmin', '/a dmin', '/adm\x00in', '/admin\x7f', '/admé (UTF-8)',
] as const;

function requestFor(target: string): string {
  const bytes = target === '/admé (UTF-8)' ? '/admé' : target;
  return `GET ${bytes} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
}

/** `403`, `400`, or `200 <target the server saw>`. */
function outcome(response: string): string {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 'no answer';
  if (status !== '200') return status;
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  return `200 ${/^app1 GET (\S+)/.exec(body)?.[1] ?? body}`;
}

describeWithTool(HAPROXY, 'path tricks and src ACLs: parity with HAProxy 2.6', () => {
  let backends: NamedBackends;
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  let theirsPorts: Ports;
  let oursPorts: Ports;

  const ports = async (): Promise<Ports> => ({ exact: await reservePort(), nocase: await reservePort(), bySrc: await reservePort() });

  beforeAll(async () => {
    backends = await startNamedBackends(['app1']);
    theirsPorts = await ports();
    oursPorts = await ports();
    haproxy = await startHaproxy(config(theirsPorts, backends.ports.app1!), theirsPorts.exact);
    ours = await startProxy(parseConfig(config(oursPorts, backends.ports.app1!)));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await backends?.close();
  });

  async function table(frontend: 'exact' | 'nocase'): Promise<Map<string, { theirs: string; mine: string }>> {
    const out = new Map<string, { theirs: string; mine: string }>();
    for (const target of TARGETS) {
      const bytes = requestFor(target);
      const theirs = outcome(await rawExchange(theirsPorts[frontend], bytes));
      const mine = outcome(await rawExchange(oursPorts[frontend], bytes));
      out.set(target, { theirs, mine });
    }
    return out;
  }

  const mismatches = (t: Map<string, { theirs: string; mine: string }>) =>
    [...t].filter(([, r]) => r.theirs !== r.mine).map(([target, r]) => `${JSON.stringify(target)}: haproxy ${r.theirs}, haplab ${r.mine}`);

  it('path_beg /admin: same answer to every trick, the same target reaches the server', async () => {
    const t = await table('exact');
    expect(mismatches(t)).toEqual([]);
    // Pinned HAProxy 2.6.12 behaviour, so that both agreeing on a wrong answer still fails.
    expect(t.get('/admin')!.theirs).toBe('403');
    expect(t.get('/admin?x')!.theirs).toBe('403');
    expect(t.get('http://x/admin')!.theirs).toBe('403');
    expect(t.get('/admin#x')!.theirs).toBe('400');
    expect(t.get('//admin')!.theirs).toBe('200 //admin');
    expect(t.get('/%61dmin')!.theirs).toBe('200 /%61dmin');
    expect(t.get('/./admin')!.theirs).toBe('200 /./admin');
    expect(t.get('/ADMIN')!.theirs).toBe('200 /ADMIN');
    expect(t.get('/public/../admin')!.theirs).toBe('200 /public/../admin');
  });

  it('path_beg -i /admin: case no longer helps, encodings and slashes still do', async () => {
    const t = await table('nocase');
    expect(mismatches(t)).toEqual([]);
    expect(t.get('/ADMIN')!.theirs).toBe('403');
    expect(t.get('/aDmIn/x')!.theirs).toBe('403');
    expect(t.get('/%41DMIN')!.theirs).toBe('200 /%41DMIN');
    expect(t.get('//admin')!.theirs).toBe('200 //admin');
  });

  it('src decides on the connection address: a spoofed X-Forwarded-For changes nothing', async () => {
    const cases = [
      { note: 'outsider claiming to be trusted', source: '127.0.0.2', xff: '127.0.0.1', expected: 403 },
      { note: 'outsider with a list', source: '127.0.0.3', xff: '127.0.0.1, 127.0.0.1', expected: 403 },
      { note: 'trusted whatever it claims', source: '127.0.0.1', xff: '203.0.113.7', expected: 200 },
      { note: 'trusted without a header', source: '127.0.0.1', xff: undefined, expected: 200 },
    ];
    for (const c of cases) {
      const probe = { path: '/', source: c.source, headers: c.xff ? { 'X-Forwarded-For': c.xff } : undefined };
      const theirs = await send(theirsPorts.bySrc, probe);
      const mine = await send(oursPorts.bySrc, probe);
      expect(theirs.status, `haproxy: ${c.note}`).toBe(c.expected);
      expect(mine.status, `haplab: ${c.note}`).toBe(c.expected);
      // what the server is told is the real peer, appended after whatever the client claimed
      if (c.expected === 200) expect(mine.body.slice(mine.body.indexOf('xff='))).toBe(theirs.body.slice(theirs.body.indexOf('xff=')));
    }
  });
});
