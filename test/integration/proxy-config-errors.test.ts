/**
 * Bad configs: each must be rejected at the right line with a helpful one-line message,
 * and `haproxy -c` must reject it too (so haplab never refuses what HAProxy accepts in
 * this set). Good configs near them must be accepted by both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { parseConfig } from '../../src/proxy/config/index.js';
import { HAPROXY, HAPROXY_BIN, itWithTool } from '../helpers/require-tool.js';

const dir = mkdtempSync(join(tmpdir(), 'haplab-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function haproxyCheck(name: string, text: string): { ok: boolean; output: string } {
  const file = join(dir, `${name.replace(/\W+/g, '_')}.cfg`);
  writeFileSync(file, text);
  const r = spawnSync(HAPROXY_BIN, ['-c', '-f', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

const HEAD = `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
`; // 5 lines: the lines below start at 6

interface BadCase {
  name: string;
  body: string;
  line: number;
  column?: number;
  message: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'unknown keyword',
    body: `backend b\n    server s1 127.0.0.1:5001\n    foo bar\n`,
    line: 8, column: 5, message: /unknown keyword 'foo' in 'backend' section/,
  },
  {
    name: 'server without address',
    body: `backend b\n    server s1\n`,
    line: 7, message: /'server' expects <name> and <addr>\[:<port>\]/,
  },
  {
    name: 'weight above 256',
    body: `backend b\n    server s1 127.0.0.1:5001 weight 300\n`,
    line: 7, column: 37, message: /weight of server is not within 0 and 256 \(300\)/,
  },
  {
    name: 'use_backend naming an undefined backend',
    body: `frontend f\n    bind 127.0.0.1:18080\n    acl a path_beg /a\n    use_backend nowhere if a\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 9, column: 17, message: /unable to find required use_backend: 'nowhere'/,
  },
  {
    name: 'default_backend naming an undefined backend',
    body: `frontend f\n    bind 127.0.0.1:18080\n    default_backend nowhere\n`,
    line: 8, message: /unable to find required default_backend: 'nowhere'/,
  },
  {
    name: 'ACL with an unknown fetch',
    body: `frontend f\n    bind 127.0.0.1:18080\n    acl a nope /x\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, column: 11, message: /unknown fetch method 'nope'/,
  },
  {
    name: 'unclosed single quote',
    body: `frontend f\n    bind 127.0.0.1:18080\n    acl a path_beg '/x\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, column: 20, message: /unmatched single quote/,
  },
  {
    name: 'unclosed double quote',
    body: `backend b\n    server s1 "127.0.0.1:5001\n`,
    line: 7, column: 15, message: /unmatched double quote/,
  },
  {
    name: 'ACL used but never defined',
    body: `frontend f\n    bind 127.0.0.1:18080\n    use_backend b if missing\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, column: 22, message: /no such ACL: 'missing'/,
  },
  {
    name: 'ACL used before its definition',
    body: `frontend f\n    bind 127.0.0.1:18080\n    http-request deny if later\n    acl later path /x\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /no such ACL: 'later'/,
  },
  {
    name: "the seed's random draw (ep08)",
    body: `backend b\n    balance random\n    random draw 2\n    server s1 127.0.0.1:5001\n`,
    line: 8, column: 5, message: /unknown keyword 'random' in 'backend' section.*balance random\(2\)/,
  },
  {
    name: 'http frontend on a tcp backend',
    body: `frontend f\n    bind 127.0.0.1:18080\n    default_backend b\nbackend b\n    mode tcp\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /http frontend 'f' tries to use incompatible tcp backend 'b'/,
  },
  {
    name: 'deny_status without an error page',
    body: `frontend f\n    bind 127.0.0.1:18080\n    http-request deny deny_status 418\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /status code '418' not handled/,
  },
  {
    name: 'unknown time unit',
    body: `backend b\n    timeout server 5x\n    server s1 127.0.0.1:5001\n`,
    line: 7, message: /invalid time value '5x'/,
  },
  {
    name: 'unknown balance algorithm',
    body: `backend b\n    balance fastest\n    server s1 127.0.0.1:5001\n`,
    line: 7, message: /balance only supports/,
  },
  {
    name: 'unknown hash-type',
    body: `backend b\n    hash-type ring\n    server s1 127.0.0.1:5001\n`,
    line: 7, message: /'hash-type' only supports 'consistent' and 'map-based'/,
  },
  {
    name: 'unknown mode',
    body: `backend b\n    mode udp\n    server s1 127.0.0.1:5001\n`,
    line: 7, message: /unknown proxy mode 'udp'/,
  },
  {
    name: 'acl in an anonymous defaults section',
    body: `defaults\n    acl a path /x\n`,
    line: 7, message: /'acl' not allowed in anonymous 'defaults' section/,
  },
  {
    name: 'server in a frontend',
    body: `frontend f\n    bind 127.0.0.1:18080\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /'server' not allowed because frontend 'f' has no backend capability/,
  },
  {
    name: 'server in defaults',
    body: `defaults\n    server s1 127.0.0.1:5001\n`,
    line: 7, message: /'server' not allowed in 'defaults' section/,
  },
  {
    name: 'two backends with one name',
    body: `backend b\n    server s1 127.0.0.1:5001\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /backend 'b' has the same name as backend 'b'/,
  },
  {
    name: 'invalid src pattern',
    body: `frontend f\n    bind 127.0.0.1:18080\n    acl a src 300.1.1.1\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /'300\.1\.1\.1' is not a valid IPv4 or IPv6 address/,
  },
  {
    name: 'unknown -m match method',
    body: `frontend f\n    bind 127.0.0.1:18080\n    acl a path -m foo /x\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /unknown matching method 'foo'/,
  },
  {
    name: 'unknown ACL option',
    body: `frontend f\n    bind 127.0.0.1:18080\n    acl a path -x /x\n    default_backend b\nbackend b\n    server s1 127.0.0.1:5001\n`,
    line: 8, message: /'-x' is not a valid ACL option/,
  },
  {
    name: 'unknown server keyword',
    body: `backend b\n    server s1 127.0.0.1:5001 heavy\n`,
    line: 7, message: /unknown keyword 'heavy' on a server line/,
  },
  {
    name: 'duplicate server names',
    body: `backend b\n    server s1 127.0.0.1:5001\n    server s1 127.0.0.1:5002\n`,
    line: 8, message: /another server named 's1' was already defined at line 7/,
  },
  {
    name: 'checked server without any port',
    body: `backend b\n    server s1 127.0.0.1 check\n`,
    line: 7, message: /server 's1' has neither service port nor check port/,
  },
  {
    name: 'unknown option',
    body: `backend b\n    option fastpath\n    server s1 127.0.0.1:5001\n`,
    line: 7, message: /unknown option 'fastpath'/,
  },
  {
    name: 'keyword out of any section',
    body: `    mode http\n`,
    line: 1, message: /unknown keyword 'mode' out of section/,
  },
];

describe('configs that must be rejected', () => {
  for (const c of BAD) {
    it(`rejects: ${c.name}`, () => {
      const text = c.line === 1 ? c.body : HEAD + c.body;
      let error: unknown;
      try {
        parseConfig(text, { file: 'haproxy.cfg' });
      } catch (err) {
        error = err;
      }
      expect(error, 'haplab accepted it').toBeInstanceOf(BadInputError);
      const bad = error as BadInputError;
      expect(bad.where.line).toBe(c.line);
      if (c.column !== undefined) expect(bad.where.column).toBe(c.column);
      const line = bad.oneLine();
      expect(line).toMatch(c.message);
      expect(line).toMatch(new RegExp(`^haproxy\\.cfg:${c.line}(:\\d+)?: .+ — .+`));
    });

    itWithTool(HAPROXY, `HAProxy 2.6 rejects it too: ${c.name}`, () => {
      const text = c.line === 1 ? c.body : HEAD + c.body;
      const result = haproxyCheck(c.name, text);
      expect(result.ok, result.output).toBe(false);
    });
  }
});

const GOOD: Array<{ name: string; text: string }> = [
  {
    name: 'everything haplab supports',
    text: `global
    log stdout format raw local0
    daemon
    maxconn 4096
    nbthread 2

defaults base
    mode http
    log global
    option httplog
    option dontlognull
    option http-keep-alive
    option redispatch
    retries 3
    maxconn 3000
    timeout connect 5000ms
    timeout client 50s
    timeout server 1m
    timeout http-request 10s
    timeout http-keep-alive 2s
    timeout queue 1m
    timeout check 2s
    default-server inter 3s rise 3 fall 2

frontend web from base
    bind *:18080
    bind :18081
    bind 127.0.0.1:18082,127.0.0.1:18083
    acl is_static path_beg /static /assets
    acl is_static path_end .css .js
    acl blocked src 192.168.1.0/24 10.0.0.0/255.0.0.0 ::ffff:172.16.0.0/108
    acl is_mobile req.hdr(User-Agent) -i -m sub Mobile
    acl is_post method POST
    acl api path_reg ^/api/v[0-9]+/
    acl admin path_dir admin
    acl debug hdr(X-Debug,-1) -m found
    http-request deny if blocked
    http-request deny deny_status 429 if api !is_post
    http-request allow if is_static
    http-request deny deny_status 404 if { path_end .bak } || { url_sub secret }
    use_backend static if is_static or { hdr_beg(host) -i static. }
    use_backend api if api is_post
    use_backend tcpish unless TRUE
    default_backend dynamic
    option forwardfor except 127.0.0.0/8 header X-Real-IP if-none
    stats enable
    stats uri /haproxy-stats

backend static from base
    balance roundrobin
    server s1 127.0.0.1:5001 weight 2 check inter 1s rise 1 fall 1
    server s2 127.0.0.1:5002 weight 0 backup id 7 maxconn 10

backend dynamic from base
    balance uri len 5 depth 2 whole path-only
    hash-type consistent sdbm avalanche
    option httpchk GET /health
    server d1 127.0.0.1 disabled init-addr none
    server d2 127.0.0.1:5003 check port 9000

backend api from base
    balance hdr(Host) use_domain_only
    server a1 [::1]:5004

backend tcpish from base
    balance url_param userid
    option httpchk /h
    server t1 127.0.0.1:5005

listen tcp_listen
    mode tcp
    bind 127.0.0.1:18090
    balance random(3)
    server l1 127.0.0.1:5006
    timeout client 5s
    timeout connect 5s
    timeout server 5s

listen leastconn_listen
    mode tcp
    bind 127.0.0.1:18091
    balance leastconn
    server l1 127.0.0.1:5006
    timeout client 5s
    timeout connect 5s
    timeout server 5s

backend first_be from base
    balance first
    hash-type map-based djb2
    server f1 127.0.0.1:5007

backend srr_be from base
    balance static-rr
    server r1 127.0.0.1:5008

backend src_be from base
    balance source
    hash-type map-based wt6 avalanche
    server r1 127.0.0.1:5009
`,
  },
  {
    name: 'listen with stats and no default backend',
    text: `${HEAD}listen stats\n    bind 127.0.0.1:18100\n    stats enable\n    stats uri /\n`,
  },
];

describe('configs that must be accepted', () => {
  for (const c of GOOD) {
    it(`accepts: ${c.name}`, () => {
      expect(() => parseConfig(c.text)).not.toThrow();
    });
    itWithTool(HAPROXY, `HAProxy 2.6 accepts it too: ${c.name}`, () => {
      const result = haproxyCheck(c.name, c.text);
      expect(result.ok, result.output).toBe(true);
    });
  }
});
