/**
 * ACL parity: Debian's real HAProxy 2.6 and haplab's proxy run the same config — the
 * seed's ep03/ep04 ACL examples combined (their 192.168.x ranges moved to 127.x so
 * loopback can speak from them), plus hdr -m variants, `!`, `or`, `unless` — and every
 * request of the table must get the same backend, or the same status, from both.
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
  type Probe,
} from './proxy-helpers.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';

const BACKENDS = [
  'static_backend', 'dynamic_backend', 'post_backend', 'mobile_backend', 'api_backend',
  'json_backend', 'version_backend', 'curl_backend', 'bot_backend', 'tester_backend',
  'host_backend', 'img_backend', 'debug_backend', 'unless_backend', 'internal_backend',
] as const;

function config(frontPort: number, ports: Record<string, number>): string {
  const backends = BACKENDS.map((b) => `backend ${b}\n    server ${b}_1 127.0.0.1:${ports[b]}\n`).join('\n');
  return `global
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend http_front
    bind 127.0.0.1:${frontPort}
    # ep03 / ep04 example 1
    acl is_static path_beg /static
    # ep04 example 2 (192.168.1.0/24 in the seed)
    acl block_ip src 127.0.1.0/24 127.0.0.5
    # ep04 example 4 and the Flask example
    acl is_post_method method POST
    acl is_submit_path path_beg /submit
    # ep04 example 5
    acl is_mobile_user_agent req.hdr(User-Agent) -i -m sub Mobile
    # ep04 example 6 (192.168.10.0/24 in the seed)
    acl is_admin_path path_beg /admin
    acl is_internal_network src 127.0.10.0/24
    # more fetches and match methods
    acl has_api path_sub /api/
    acl ends_json path_end .json
    acl versioned path_reg ^/v[0-9]+/
    acl exact_health path /health
    acl ua_curl hdr(User-Agent) -m beg curl
    acl ua_bot hdr(user-agent) -i -m end bot
    acl ua_tester hdr(User-Agent) -i Tester
    acl host_example hdr(host) -m dom example.com
    acl img_dir path_dir img
    acl debug_q url_sub debug=1
    acl x_debug req.hdr(X-Debug) -m found
    acl write_method method PUT DELETE PATCH

    http-request deny if block_ip
    http-request deny if is_admin_path !is_internal_network
    http-request deny deny_status 429 if { path_beg /limited } write_method
    http-request deny deny_status 404 if { path -i /secret } || { path_end .bak }

    use_backend internal_backend if is_admin_path
    use_backend post_backend if is_post_method is_submit_path
    use_backend mobile_backend if is_mobile_user_agent
    use_backend static_backend if is_static
    use_backend api_backend if has_api !ends_json or versioned exact_health
    use_backend json_backend if ends_json
    use_backend version_backend if versioned
    use_backend curl_backend if ua_curl
    use_backend bot_backend if ua_bot
    use_backend tester_backend if ua_tester
    use_backend host_backend if host_example
    use_backend img_backend if img_dir
    use_backend debug_backend if debug_q || x_debug
    use_backend unless_backend unless { method GET HEAD } || { path_beg /u/ }
    default_backend dynamic_backend

${backends}`;
}

const UA_DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const UA_PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

/** The table: every probe goes to both proxies. */
const PROBES: Array<Probe & { note: string }> = [
  { note: 'root', path: '/' },
  { note: 'static prefix', path: '/static' },
  { note: 'static file', path: '/static/logo.png' },
  { note: 'static with query', path: '/static?x=1' },
  { note: 'prefix without slash', path: '/staticx' },
  { note: 'case matters', path: '/STATIC/logo.png' },
  { note: 'query does not count as path', path: '/?p=/static' },
  { note: 'double slash', path: '//static/a' },
  { note: 'dot segments are not normalised', path: '/static/../admin' },
  { note: 'percent-encoding is not decoded', path: '/%73tatic/a' },
  { note: 'absolute-form URI', path: 'http://example.org/static/a', headers: { Host: 'example.org' } },
  { note: 'absolute-form URI, Host differs: 400', path: 'http://example.org/static/a' },
  { note: 'admin from outside', path: '/admin' },
  { note: 'admin sub-path from outside', path: '/admin/users' },
  { note: 'admin from internal net', path: '/admin', source: '127.0.10.7' },
  { note: 'admin dotdot from internal', path: '/admin/../x', source: '127.0.10.200' },
  { note: 'admin with query from outside', path: '/admin?x=1' },
  { note: 'double slash admin escapes the rule', path: '//admin' },
  { note: 'Admin capitalised', path: '/Admin' },
  { note: 'adminx prefix still denied', path: '/adminx' },
  { note: 'blocked /24', path: '/', source: '127.0.1.9' },
  { note: 'blocked single address', path: '/static/a', source: '127.0.0.5' },
  { note: 'neighbour of blocked address', path: '/', source: '127.0.0.6' },
  { note: 'just outside blocked /24', path: '/', source: '127.0.2.1' },
  { note: 'POST /submit', method: 'POST', path: '/submit', body: 'a=1' },
  { note: 'POST /submit/x', method: 'POST', path: '/submit/x', body: 'a=1' },
  { note: 'GET /submit', path: '/submit' },
  { note: 'POST elsewhere goes to unless', method: 'POST', path: '/other', body: 'x' },
  { note: 'POST /u/ is not unless', method: 'POST', path: '/u/x', body: 'x' },
  { note: 'HEAD root', method: 'HEAD', path: '/' },
  { note: 'desktop UA', path: '/', headers: { 'User-Agent': UA_DESKTOP } },
  { note: 'phone UA', path: '/', headers: { 'User-Agent': UA_PHONE } },
  { note: 'lowercase mobile with -i', path: '/', headers: { 'User-Agent': 'my mobile app' } },
  { note: 'mobile beats static (rule order)', path: '/static/a', headers: { 'User-Agent': 'X Mobile' } },
  { note: 'curl UA', path: '/', headers: { 'User-Agent': 'curl/8.5.0' } },
  { note: 'Curl UA (beg is case-sensitive)', path: '/', headers: { 'User-Agent': 'Curl/8.5.0' } },
  { note: 'curl after a comma is its own value', path: '/', headers: { 'User-Agent': 'agent, curl/7' } },
  { note: 'curl inside quotes is not split', path: '/', headers: { 'User-Agent': '"agent, curl/7"' } },
  { note: 'second User-Agent line', path: '/', headers: { 'User-Agent': ['foo', 'curl/1'] } },
  { note: 'bot with -i end', path: '/', headers: { 'User-Agent': 'GoogleBOT' } },
  { note: 'bot with trailing space trimmed', path: '/', headers: { 'User-Agent': 'somebot   ' } },
  { note: 'bot not at end', path: '/', headers: { 'User-Agent': 'bot-ish thing' } },
  { note: 'exact Tester any case', path: '/', headers: { 'User-Agent': 'tEsTeR' } },
  { note: 'Tester2 is not exact', path: '/', headers: { 'User-Agent': 'Tester2' } },
  { note: 'host dom match', path: '/', headers: { Host: 'www.example.com' } },
  { note: 'host dom with port', path: '/', headers: { Host: 'example.com:8080' } },
  { note: 'host dom near miss', path: '/', headers: { Host: 'notexample.com' } },
  { note: 'api', path: '/api/users' },
  { note: 'api json is json', path: '/api/users.json' },
  { note: 'api prefix without slash', path: '/apix/users' },
  { note: 'json at end', path: '/data.json' },
  { note: 'json in query only', path: '/data?format=.json' },
  { note: 'versioned', path: '/v2/items' },
  { note: 'versioned without digits', path: '/vx/items' },
  { note: 'health alone is not api', path: '/health' },
  { note: 'img dir', path: '/img/a.png' },
  { note: 'img at end as dir', path: '/assets/img' },
  { note: 'imgs is not img dir', path: '/imgs/a.png' },
  { note: 'debug query', path: '/x?debug=1' },
  { note: 'debug header found (empty value)', path: '/x', headers: { 'X-Debug': '' } },
  { note: 'limited PUT is 429', method: 'PUT', path: '/limited/a', body: 'x' },
  { note: 'limited GET passes', path: '/limited/a' },
  { note: 'secret any case is 404', path: '/SeCrEt' },
  { note: 'backup file is 404', path: '/db.bak' },
  { note: 'DELETE goes to unless', method: 'DELETE', path: '/thing' },
  { note: 'OPTIONS goes to unless', method: 'OPTIONS', path: '/' },
];

function outcome(r: { status: number; headers: Record<string, unknown> }): string {
  return r.status === 200 ? `backend ${String(r.headers['x-backend'])}` : `status ${r.status}`;
}

describeWithTool(HAPROXY, 'ACL parity with HAProxy 2.6', () => {
  let backends: NamedBackends;
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  let haproxyPort: number;
  let oursPort: number;

  beforeAll(async () => {
    backends = await startNamedBackends(BACKENDS);
    haproxyPort = await reservePort();
    oursPort = await reservePort();
    haproxy = await startHaproxy(config(haproxyPort, backends.ports), haproxyPort);
    ours = await startProxy(parseConfig(config(oursPort, backends.ports)));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await backends?.close();
  });

  it('has at least 50 probes', () => {
    expect(PROBES.length).toBeGreaterThanOrEqual(50);
  });

  it('routes every probe like HAProxy does', async () => {
    const mismatches: string[] = [];
    for (const probe of PROBES) {
      const theirs = outcome(await send(haproxyPort, probe));
      const mine = outcome(await send(oursPort, probe));
      if (theirs !== mine) mismatches.push(`${probe.note} (${probe.method ?? 'GET'} ${probe.path}): haproxy ${theirs}, haplab ${mine}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('agrees on requests only a raw client can send', async () => {
    const raw = [
      'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET http://example.com HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
      'GET /static HTTP/1.0\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a\r\nUser-Agent: b, Mobile\r\nConnection: close\r\n\r\n',
    ];
    for (const bytes of raw) {
      const statusOf = (text: string) => {
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
        const backend = /x-backend: (\S+)/i.exec(text)?.[1];
        return status === '200' ? `backend ${backend}` : `status ${status}`;
      };
      expect(statusOf(await rawExchange(oursPort, bytes)), bytes).toBe(statusOf(await rawExchange(haproxyPort, bytes)));
    }
  });
});
