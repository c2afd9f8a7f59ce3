/**
 * Edits of a lab's rendered haproxy.cfg made BEHIND THE SPEC'S BACK (lab.yaml untouched),
 * each with the checks that must catch it and the drift the report must name. Shared by
 * the docker suite (test/e2e/check-mutations.test.ts) and the local matrix
 * (test/integration/check-mutations-local.test.ts): both runtimes run the file as it
 * stands, the verifier judges lab.yaml, so the same edit must fail the same checks.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { ProxyKind } from '../../src/lab-schema/types.js';
import type { Check, Report } from '../../src/verify/report/types.js';

export interface Mutation {
  /** The lab's (and its directory's) name. */
  lab: string;
  episode: string;
  what: string;
  /** The edit; it must change the file. */
  mutate(cfg: string): string;
  /** Checks that must fail, by name. */
  failing: string[];
  /** Checks the edit leaves alone: they must still pass. */
  passing: string[];
  /**
   * Passing checks that probe from a client subnet outside 127.0.0.0/8 (source-address
   * rules): only the docker runtime can speak from there, the local one skips them.
   */
  passingFromClientSubnet?: string[];
  /** Report.configDrift.differences, exactly. */
  drift: string[];
  /** Needs the docker runtime (192.168.x client addresses, a proxy with only its file's sockets): the local matrix leaves it out. */
  dockerOnly?: boolean;
  /**
   * The local matrix only: the edit is judged by the same model on both runtimes. The docker
   * suite keeps the edits whose evidence depends on the runtime (source addresses: ep04,
   * ep07, ep10's stick on src, ep12's tracking; a health flag inside a container: ep11;
   * connections the Flask server keeps: ep02) and ep09's verify-after-up flow, to bound CI time.
   */
  localOnly?: boolean;
  /** More about one proxy's report. */
  more?(report: Report): void;
}

/** Replaces exactly one match of `pattern`, or throws: an edit that silently did nothing would prove nothing. */
export function replaceOnce(cfg: string, pattern: RegExp, by: string): string {
  const matches = cfg.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)) ?? [];
  if (matches.length !== 1) throw new Error(`expected one match of ${pattern} in haproxy.cfg, found ${matches.length}`);
  return cfg.replace(pattern, by);
}

/** ep09's weights 2,1,3 → 3,1,2: still a cycle of 6, in another order and other counts. */
export const swapWeights = (cfg: string): string => replaceOnce(
  replaceOnce(cfg, /^(\s*server server1 \S+) weight 2 /m, '$1 weight 3 '),
  /^(\s*server server3 \S+) weight 3 /m, '$1 weight 2 ',
);

export const MUTATIONS: Mutation[] = [
  {
    lab: 'hlmut-ep07-roundrobin',
    episode: 'ep07',
    what: '`balance source` swapped for `balance roundrobin`',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*)balance source$/m, '$1balance roundrobin'),
    failing: ['hash.sticky', 'hash.model'],
    passing: ['hash.answered'],
    drift: ['backend servers: balance roundrobin (lab.yaml: source)'],
  },
  {
    lab: 'hlmut-ep04-no-static-acl',
    localOnly: true,
    episode: 'ep04',
    what: 'the `use_backend static_backend if is_static` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*use_backend static_backend if is_static\n/m, ''),
    failing: ['acl.path_front → static_backend'],
    // The other frontends (and path_front's other routes) still do what the rules say.
    passing: ['acl.path_front → dynamic_backend', 'acl.method_front → post_backend', 'acl.agent_front → mobile_backend', 'acl.admin_front → admin_backend', 'acl.submit_front → submit_backend'],
    passingFromClientSubnet: ['acl.block_front → 403 (deny)'],
    drift: ['frontend path_front: `use_backend static_backend if is_static` removed'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.path_front → static_backend')!;
      // It says where /static went instead.
      expect(check.detail).toMatch(/\/static\S* → dynamic_backend/);
    },
  },
  {
    lab: 'hlmut-ep02-mode-http',
    episode: 'ep02',
    // The first `mode tcp` (defaults: the frontend and its backend alike, since HAProxy refuses
    // an http frontend on a tcp backend): HAProxy then balances each request of a kept-alive
    // connection.
    what: 'the frontend switched to `mode http`',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*)mode\s+tcp$/m, '$1mode    http'),
    failing: ['tcp.keepalive-sticks'],
    passing: ['tcp.forwarded'],
    drift: ['frontend tcp_front: mode http (lab.yaml: tcp)', 'backend flask_backend: mode http (lab.yaml: tcp)'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'tcp.keepalive-sticks')!;
      expect(check.detail).toMatch(/answered by flask\d, flask\d: the proxy balanced each request/);
    },
  },
  {
    lab: 'hlmut-ep06-fast-only',
    localOnly: true,
    episode: 'ep06',
    what: 'server1 and server3 deleted (only the fast server left)',
    mutate: (cfg) => replaceOnce(replaceOnce(cfg, /^\s*server server1 .*\n/m, ''), /^\s*server server3 .*\n/m, ''),
    // The fast server still takes the excess: only the candidates see that the slow ones are gone.
    failing: ['balance.candidates'],
    passing: ['leastconn.answered', 'leastconn.fast-takes-excess'],
    drift: ['backend servers: server1 removed, server3 removed'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'balance.candidates')!;
      expect(check.detail).toMatch(/leastconn \(configured\) does not fit: server[13] answered none/);
    },
  },
  {
    lab: 'hlmut-ep08-roundrobin',
    localOnly: true,
    episode: 'ep08',
    what: '`balance random(2)` swapped for `balance roundrobin`',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*)balance random\(2\)$/m, '$1balance roundrobin'),
    // A rotation's counts can pass a χ² against the ring's shares; its pairs never repeat.
    failing: ['balance.candidates'],
    passing: ['random.answered'],
    drift: ['backend servers: balance roundrobin (lab.yaml: random(2))'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'balance.candidates')!;
      expect(check.detail).toMatch(/random\(2\) \(configured\) does not fit: .*consecutive pairs repeat.*what fits: roundrobin/);
    },
  },
  {
    lab: 'hlmut-ep04-no-deny',
    // Its probes come from 192.168.x client addresses: the docker runtime only.
    dockerOnly: true,
    drift: ['frontend admin_front: `http-request deny if is_admin_path !is_internal_network` removed'],
    episode: 'ep04',
    what: 'the `http-request deny if is_admin_path !is_internal_network` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*http-request deny if is_admin_path !is_internal_network\n/m, ''),
    failing: ['acl.admin_front → 403 (deny)'],
    passing: ['acl.admin_front → admin_backend', 'acl.coverage admin_front', 'acl.block_front → 403 (deny)', 'acl.path_front → static_backend'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.admin_front → 403 (deny)')!;
      // /admin from outside 192.168.10.0/24 was served, and the check says which rule should have refused it.
      expect(check.detail).toMatch(/GET \/admin\S* from 192\.168\.\d+\.\d+ → admin_backend \(rule: http-request deny if is_admin_path !is_internal_network \(haproxy\.cfg line \d+\)\)/);
      expect(check.covers).toContainEqual(expect.stringMatching(/^http-request deny if is_admin_path !is_internal_network \(haproxy\.cfg line \d+\)$/));
    },
  },
  {
    lab: 'hlmut-ep04-agent-no-i',
    // Its probes come from 192.168.x client addresses: the docker runtime only.
    dockerOnly: true,
    drift: ['frontend agent_front: `acl is_mobile_user_agent req.hdr(User-Agent) -i -m sub Mobile` removed, `acl is_mobile_user_agent req.hdr(User-Agent) -m sub Mobile` added'],
    episode: 'ep04',
    what: 'the `-i` dropped from the `acl is_mobile_user_agent` line',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*acl is_mobile_user_agent req\.hdr\(User-Agent\)) -i (-m sub Mobile)$/m, '$1 $2'),
    // A lower/upper-case "mOBILE" must still go to the mobile backend.
    failing: ['acl.agent_front → mobile_backend'],
    passing: ['acl.agent_front → desktop_backend', 'acl.coverage agent_front', 'acl.method_front → post_backend'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.agent_front → mobile_backend')!;
      expect(check.detail).toMatch(/UA "[^"]*mOBILE[^"]*" → desktop_backend/);
      expect(check.covers).toContainEqual(expect.stringMatching(/^acl is_mobile_user_agent req\.hdr\(User-Agent\) -i -m sub Mobile \(haproxy\.cfg line \d+\)$/));
    },
  },
  {
    lab: 'hlmut-ep04-block-cidr',
    // Its probes come from 192.168.x client addresses: the docker runtime only.
    dockerOnly: true,
    drift: ['frontend block_front: `acl block_ip src 192.168.1.0/24` removed, `acl block_ip src 192.168.0.0/23` added'],
    episode: 'ep04',
    what: 'the `acl block_ip` range widened from 192.168.1.0/24 to 192.168.0.0/23',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*acl block_ip src) 192\.168\.1\.0\/24$/m, '$1 192.168.0.0/23'),
    // Only the probes from the block next to the range (192.168.0.0/24) can see it.
    failing: ['acl.block_front → web_backend'],
    passing: ['acl.block_front → 403 (deny)', 'acl.coverage block_front', 'acl.admin_front → 403 (deny)'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.block_front → web_backend')!;
      expect(check.detail).toMatch(/from 192\.168\.0\.\d+ → 403 \(deny\)/);
      expect(check.covers).toContainEqual(expect.stringMatching(/^acl block_ip src 192\.168\.1\.0\/24 \(haproxy\.cfg line \d+\)$/));
    },
  },
  {
    lab: 'hlmut-ep12-limit-8',
    localOnly: true,
    episode: 'ep12',
    what: 'the limit lowered from `gt 10` to `gt 8`',
    mutate: (cfg) => replaceOnce(cfg, /(sc_http_req_rate\(0\)) gt 10 \}$/m, '$1 gt 8 }'),
    // Every address gets 8 answers, not 10, in the burst and again after the reset.
    failing: ['ratelimit.http_front.limit', 'ratelimit.http_front.reset'],
    passing: ['ratelimit.http_front.independent'],
    drift: ['frontend http_front: `http-request deny deny_status 429 if { sc_http_req_rate(0) gt 10 }` removed, `http-request deny deny_status 429 if { sc_http_req_rate(0) gt 8 }` added'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'ratelimit.http_front.limit')!;
      expect(check.observed).toMatch(/8×200 api, 4×429/);
    },
  },
  {
    lab: 'hlmut-ep12-no-tracking',
    episode: 'ep12',
    what: 'the `http-request track-sc0 src` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*http-request track-sc0 src\n/m, ''),
    // Nothing is tracked: sc_http_req_rate(0) finds nothing, the deny never applies.
    failing: ['ratelimit.http_front.limit', 'ratelimit.http_front.independent', 'ratelimit.http_front.reset'],
    passing: ['stats.lbtot'],
    drift: ['frontend http_front: `http-request track-sc0 src` removed'],
    more(report) {
      expect(report.checks.find((c) => c.name === 'ratelimit.http_front.independent')!.observed).toMatch(/no request was refused with 429/);
    },
  },
  {
    lab: 'hlmut-ep12-period-10s',
    localOnly: true,
    episode: 'ep12',
    what: 'the period lengthened from `http_req_rate(2s)` to the episode\'s `http_req_rate(10s)`',
    mutate: (cfg) => replaceOnce(cfg, /store http_req_rate\(2s\)$/m, 'store http_req_rate(10s)'),
    // The burst counts the same; 4 s later the old requests still weigh, so the limit has not come back.
    failing: ['ratelimit.http_front.reset'],
    passing: ['ratelimit.http_front.limit', 'ratelimit.http_front.independent'],
    drift: ['frontend http_front: `stick-table type ip size 100k expire 30s store http_req_rate(2s)` removed, `stick-table type ip size 100k expire 30s store http_req_rate(10s)` added'],
  },
  {
    lab: 'hlmut-ep09-no-server3',
    localOnly: true,
    episode: 'ep09',
    what: 'the `server server3` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*server server3 .*\n/m, ''),
    failing: ['rr.cycle-counts', 'rr.order'],
    passing: ['rr.answered'],
    drift: ['backend servers: server3 removed'],
    more(report) {
      expect(report.counts.server3 ?? 0).toBe(0);
      const naming = report.checks.filter((c) => !c.pass && !c.skipped && `${c.expected} ${c.observed} ${c.detail}`.includes('server3'));
      expect(naming.map((c) => c.name), 'no failing check names server3').not.toEqual([]);
    },
  },
  {
    lab: 'hlmut-ep09-static-rr',
    localOnly: true,
    episode: 'ep09',
    what: '`balance roundrobin` swapped for `balance static-rr`',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*)balance roundrobin$/m, '$1balance static-rr'),
    // The same order for fixed weights: only the weight changed at run time, which static-rr refuses, tells.
    failing: ['rr.runtime-weight', 'balance.candidates'],
    passing: ['rr.answered', 'rr.cycle-counts', 'rr.order'],
    drift: ['backend servers: balance static-rr (lab.yaml: roundrobin)'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'balance.candidates')!;
      expect(check.detail).toMatch(/roundrobin \(configured\) does not fit: the proxy refused `set server …\/server\d weight \d+` \("Backend is using a static LB algorithm[^;]*; it takes weights at run time; what fits: static-rr/);
    },
  },
  {
    lab: 'hlmut-ep09-static-rr-no-api',
    // The local runtime adds an admin socket of its own to what it runs, so the change is made
    // there whatever the file says; in a container only the file's line opens one.
    dockerOnly: true,
    episode: 'ep09',
    what: '`balance static-rr` and the runtime API\'s `stats socket` line deleted',
    mutate: (cfg) => replaceOnce(
      replaceOnce(cfg, /^(\s*)balance roundrobin$/m, '$1balance static-rr'),
      /^\s*stats socket ipv4@127\.0\.0\.1:\d+ level admin\n/m, '',
    ),
    // Hiding the weight change must not hide static-rr: no runtime API is a failure, not a skip.
    failing: ['rr.runtime-weight'],
    passing: ['rr.answered', 'rr.cycle-counts', 'rr.order'],
    drift: ['backend servers: balance static-rr (lab.yaml: roundrobin)'],
    more(report) {
      expect(report.checks.find((c) => c.name === 'rr.runtime-weight')!.detail).toMatch(/nothing answered on haproxy's runtime API[^;]*stats socket ipv4@127\.0\.0\.1:\d+ level admin[^;]*: put that line back/);
    },
  },
  {
    lab: 'hlmut-ep05-leastconn',
    localOnly: true,
    episode: 'ep05',
    what: '`balance roundrobin` swapped for `balance leastconn`',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*)balance roundrobin$/m, '$1balance leastconn'),
    // Sequential requests to servers that answer alike: least connections rotates as well, until a weight changes.
    failing: ['rr.runtime-weight', 'balance.candidates'],
    passing: ['rr.answered', 'rr.cycle-counts', 'rr.order'],
    drift: ['backend servers: balance leastconn (lab.yaml: roundrobin)'],
    more(report) {
      expect(report.checks.find((c) => c.name === 'balance.candidates')!.detail).toMatch(/what fits: [^·]*\bleastconn\b/);
    },
  },
  {
    lab: 'hlmut-ep13-no-redirect',
    localOnly: true,
    episode: 'ep13',
    what: 'the `http-request redirect scheme https unless { ssl_fc }` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*http-request redirect scheme https unless \{ ssl_fc \}\n/m, ''),
    // Plain HTTP now reaches the apps (their 404 for the probe's path) instead of the proxy's 302.
    failing: ['tls.http_front.redirect'],
    passing: ['tls.https_front.handshake', 'tls.https_front.header', 'rr.order', 'stats.lbtot'],
    drift: ['frontend http_front: `http-request redirect scheme https unless { ssl_fc }` removed'],
  },
  {
    lab: 'hlmut-ep13-no-header',
    localOnly: true,
    episode: 'ep13',
    what: 'the `http-request set-header X-Forwarded-Proto https` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*http-request set-header X-Forwarded-Proto https\n/m, ''),
    failing: ['tls.https_front.header'],
    passing: ['tls.http_front.redirect', 'tls.https_front.handshake', 'rr.order'],
    drift: ['frontend https_front: `http-request set-header X-Forwarded-Proto https` removed'],
  },
  {
    lab: 'hlmut-ep13-no-ssl',
    // On docker `up` waits for a TLS handshake on the TLS port (the spec's): without ssl it never
    // comes, and up fails saying so. The local runtime waits on what the edited file binds.
    localOnly: true,
    episode: 'ep13',
    what: '`ssl crt …` dropped from the https_front bind',
    mutate: (cfg) => replaceOnce(cfg, / ssl crt \/etc\/haplab\/tls\/site\.pem$/m, ''),
    // Plain HTTP on the TLS port: no handshake, so nothing is answered over TLS.
    failing: ['tls.https_front.handshake', 'rr.answered'],
    passing: ['tls.http_front.redirect'],
    drift: ['frontend https_front: bind without ssl (lab.yaml: bind with ssl)'],
  },
  {
    lab: 'hlmut-ep10-no-cookie',
    episode: 'ep10',
    localOnly: true,
    what: 'the `cookie SERVERID insert indirect nocache` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*cookie SERVERID insert indirect nocache\n/m, ''),
    // No Set-Cookie, the returning clients balanced like new ones, their cookie passed to the app.
    failing: ['persist.cookie.cookie_servers.issued', 'persist.cookie.cookie_servers.sticky', 'persist.cookie.cookie_servers.indirect', 'persist.cookie.cookie_servers.redispatch'],
    passing: ['rr.order', 'rr.cycle-counts', 'persist.stick.stick_servers.sticky', 'persist.stick.stick_servers.expired.order'],
    drift: ['backend cookie_servers: no cookie (lab.yaml: cookie SERVERID insert indirect nocache)'],
  },
  {
    lab: 'hlmut-ep10-no-indirect',
    episode: 'ep10',
    localOnly: true,
    what: '`indirect` dropped from the cookie line',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*cookie SERVERID insert) indirect (nocache)$/m, '$1 $2'),
    // Persistence still works; only the app now sees SERVERID.
    failing: ['persist.cookie.cookie_servers.indirect'],
    passing: ['persist.cookie.cookie_servers.issued', 'persist.cookie.cookie_servers.sticky', 'persist.cookie.cookie_servers.not-reissued', 'persist.cookie.cookie_servers.redispatch', 'rr.order'],
    drift: ['backend cookie_servers: cookie SERVERID insert nocache (lab.yaml: cookie SERVERID insert indirect nocache)'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'persist.cookie.cookie_servers.indirect')!;
      expect(check.detail).toMatch(/the app saw "Cookie: SERVERID=s\d; lab=keep"/);
    },
  },
  {
    lab: 'hlmut-ep10-no-stick',
    episode: 'ep10',
    what: 'the stick table and `stick on src` deleted',
    mutate: (cfg) => replaceOnce(replaceOnce(cfg, /^\s*stick-table type ip .*\n/m, ''), /^\s*stick on src\n/m, ''),
    failing: ['persist.stick.stick_servers.sticky', 'persist.stick.stick_servers.before-expiry'],
    passing: ['persist.stick.stick_servers.new-addresses.order', 'persist.cookie.cookie_servers.sticky', 'rr.order'],
    drift: ['backend stick_servers: no stick-table (lab.yaml: stick-table type ip size 102400 expire 8000ms + stick on src)'],
  },
  {
    lab: 'hlmut-ep10-expire',
    episode: 'ep10',
    localOnly: true,
    what: 'the stick table\'s `expire 8000ms` made 60s',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*stick-table type ip size \S+) expire 8000ms$/m, '$1 expire 60s'),
    // Addresses stay stuck past 8 s: coming back, they are not balanced again.
    failing: ['persist.stick.stick_servers.expired.order'],
    passing: ['persist.stick.stick_servers.sticky', 'persist.stick.stick_servers.before-expiry', 'persist.cookie.cookie_servers.sticky'],
    drift: ['backend stick_servers: stick-table type ip size 102400 expire 60000ms + stick on src (lab.yaml: stick-table type ip size 102400 expire 8000ms + stick on src)'],
  },
  {
    lab: 'hlmut-ep11-no-check',
    episode: 'ep11',
    what: '`check` removed from server1',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*server server1 \S+) check inter \S+ fall \d+ rise \d+$/m, '$1'),
    // Unchecked, server1 never leaves rotation: it keeps answering while its health fails, even when the backup should have taken over.
    failing: ['health.servers.out', 'health.servers.none-while-down', 'health.servers.backup-takes-over'],
    passing: ['health.servers.backup-idle', 'rr.order'],
    drift: ['backend servers: server1 no check (lab.yaml: check)'],
  },
  {
    lab: 'hlmut-ep11-no-backup',
    episode: 'ep11',
    localOnly: true,
    what: '`backup` removed from server4',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*server server4 .*) backup$/m, '$1'),
    failing: ['health.servers.backup-idle'],
    passing: ['health.servers.out', 'health.servers.none-while-down'],
    drift: ['backend servers: server4 no backup (lab.yaml: backup)'],
  },
  {
    lab: 'hlmut-ep11-fall',
    episode: 'ep11',
    localOnly: true,
    what: "server1's `fall 2` made `fall 6`",
    mutate: (cfg) => replaceOnce(cfg, /^(\s*server server1 \S+ check inter 500ms) fall 2 (rise 2)$/m, '$1 fall 6 $2'),
    // Six failed checks at 500 ms: server1 leaves after 3 to 3.5 s, past fall × inter + inter +
    // tolerance (2 s), so out fails whatever happens next. Whether it left at all before the
    // verifier heals it (3 s after the flip) is a race: `back` is judged neither way here
    // (seen in a fresh-clone CI run: still in rotation at the heal, so "back before rise checks").
    failing: ['health.servers.out'],
    passing: ['health.servers.backup-idle', 'rr.order'],
    drift: ['backend servers: server1 inter 500ms fall 6 rise 2 (lab.yaml: inter 500ms fall 2 rise 2)'],
  },
];

/** ep09's weights 2,1,3 → 3,1,2 (the docker suite runs it with a control run first). */
export const WEIGHTS_MUTATION: Mutation = {
  lab: 'hlmut-ep09-weights',
  episode: 'ep09',
  what: 'weights 2,1,3 → 3,1,2',
  mutate: swapWeights,
  failing: ['rr.cycle-counts', 'rr.order'],
  passing: ['rr.answered'],
  drift: ['backend servers: server1 weight 3 (lab.yaml: 2), server3 weight 2 (lab.yaml: 3)'],
  more(report) {
    // The proxy really ran the edited weights: 3:1:2 per cycle of 6.
    const n = Object.values(report.counts).reduce((a, b) => a + b, 0);
    expect(report.counts).toEqual({ server1: (n / 6) * 3, server2: n / 6, server3: (n / 6) * 2 });
  },
};

export async function mutateCfg(cfgFile: string, mutate: (cfg: string) => string): Promise<void> {
  const before = await readFile(cfgFile, 'utf8');
  const after = mutate(before);
  expect(after).not.toBe(before);
  await writeFile(cfgFile, after);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One proxy's part of the terminal report (all of it when only one proxy ran). */
export function terminalSection(stdout: string, proxy: ProxyKind): string {
  const headers = [...stdout.matchAll(/^\S+ · \S+ · proxy (\S+) · .*$/gm)];
  const mine = headers.findIndex((h) => h[1] === proxy);
  if (headers.length <= 1 || mine < 0) return stdout;
  return stdout.slice(headers[mine]!.index, headers[mine + 1]?.index ?? stdout.length);
}

/** The terminal report shows the check on a line of its own with its verdict. */
export function expectTerminalVerdict(text: string, name: string, verdict: 'FAIL' | 'PASS'): void {
  expect(text, `terminal report: ${name} ${verdict}`).toMatch(new RegExp(`^${escape(name)}\\s.*\\s${verdict}\\s*$`, 'm'));
}

function describeCheck(proxy: string, check: Check): string {
  return `[${proxy}] ${check.name}: ${check.skipped ? `SKIPPED (${check.skipped})` : check.pass ? 'pass' : 'FAIL'} — expected ${check.expected}; observed ${check.observed}; ${check.detail}`;
}

/**
 * One proxy's report caught the edit: it failed, every `failing` check ran and failed, every
 * `passing` one passed (on a runtime without the client subnet, those checks are absent and
 * the subnet's own check says it was skipped), and the drift names the edit.
 */
export function expectCaught(report: Report, stdout: string, m: Mutation, runtime: 'docker' | 'local'): void {
  const proxy = report.proxy as ProxyKind;
  const section = terminalSection(stdout, proxy);
  expect(report.verdict).toBe('fail');
  const byName = new Map(report.checks.map((c) => [c.name, c]));
  for (const name of m.failing) {
    const c = byName.get(name);
    expect(c, `[${proxy}] no check ${name} in the report`).toBeDefined();
    expect(c!.skipped, describeCheck(proxy, c!)).toBeUndefined();
    expect(c!.pass, describeCheck(proxy, c!)).toBe(false);
    expectTerminalVerdict(section, name, 'FAIL');
  }
  const passing = runtime === 'docker' ? [...m.passing, ...(m.passingFromClientSubnet ?? [])] : m.passing;
  for (const name of passing) {
    const c = byName.get(name);
    expect(c, `[${proxy}] no check ${name} in the report`).toBeDefined();
    expect(c!.pass, describeCheck(proxy, c!)).toBe(true);
    expectTerminalVerdict(section, name, 'PASS');
  }
  if (runtime === 'local' && m.passingFromClientSubnet) {
    for (const name of m.passingFromClientSubnet) expect(byName.has(name), `[${proxy}] ${name} needs a client subnet the local runtime lacks`).toBe(false);
    expect(report.checks.some((c) => c.skipped && / from inside 192\.168\./.test(c.name))).toBe(true);
  }
  expect(report.configDrift?.differences, `[${proxy}] configDrift`).toEqual(m.drift);
  expect(report.configDrift?.error).toBeUndefined();
  m.more?.(report);
}
