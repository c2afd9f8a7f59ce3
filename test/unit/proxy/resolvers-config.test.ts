/**
 * The parser reads `resolvers` sections with HAProxy 2.6's defaults and keywords,
 * `server-template` into numbered servers, and `resolvers` / `resolve-prefer` / `init-addr`
 * on servers; and refuses each bad line, or what haplab's resolver does not do, with one
 * line naming file, line and column, what is wrong and how to fix it.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { checkStartable, parseConfig } from '../../../src/proxy/config/index.js';
import { templateRange } from '../../../src/proxy/config/server-template.js';

const backend = (lines: string) => `resolvers dns\n    nameserver ns1 127.0.0.11:53\nbackend b\n${lines}\n`;

/** The one line a bad config gives, or '' when it parses. */
function refusal(text: string): string {
  try {
    parseConfig(text, { file: 'h.cfg' });
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError);
    return (err as BadInputError).oneLine();
  }
}

describe('resolvers sections', () => {
  it('take HAProxy 2.6 defaults for what is not written', () => {
    const r = parseConfig('resolvers docker\n    nameserver dns1 127.0.0.11:53\n').resolvers.get('docker')!;
    expect(r.nameservers.map((n) => [n.name, n.host, n.port])).toEqual([['dns1', '127.0.0.11', 53]]);
    expect(r.hold).toEqual({ valid: 10_000, nx: 30_000, refused: 30_000, timeout: 30_000, other: 30_000, obsolete: 0 });
    expect(r.timeouts).toEqual({ resolve: 1000, retry: 1000 });
    expect(r.resolveRetries).toBe(3);
    expect(r.acceptedPayloadSize).toBe(512);
  });

  it('read every keyword the resolver uses', () => {
    const r = parseConfig(
      [
        'resolvers docker',
        '    nameserver dns1 127.0.0.11:53',
        '    nameserver dns2 udp@[::1]:5353',
        '    hold valid 2s',
        '    hold nx 5s',
        '    hold refused 6s',
        '    hold timeout 7s',
        '    hold other 8s',
        '    hold obsolete 9s',
        '    timeout resolve 250ms',
        '    timeout retry 300ms',
        '    resolve_retries 5',
        '    accepted_payload_size 8192',
      ].join('\n'),
    ).resolvers.get('docker')!;
    expect(r.nameservers.map((n) => [n.name, n.host, n.port])).toEqual([['dns1', '127.0.0.11', 53], ['dns2', '::1', 5353]]);
    expect(r.hold).toEqual({ valid: 2000, nx: 5000, refused: 6000, timeout: 7000, other: 8000, obsolete: 9000 });
    expect(r.timeouts).toEqual({ resolve: 250, retry: 300 });
    expect(r.resolveRetries).toBe(5);
    expect(r.acceptedPayloadSize).toBe(8192);
  });

  it.each([
    ['resolvers', /h\.cfg:1:1: missing name for resolvers section — write 'resolvers NAME'/],
    ['resolvers a/b', /h\.cfg:1:11: character '\/' is not permitted in 'resolvers' name 'a\/b'/],
    ['resolvers a\nresolvers a', /h\.cfg:2:11: resolvers 'a' has same name as another resolvers \(declared at h\.cfg:1\)/],
    ['resolvers a\n  nameserver ns1', /h\.cfg:2:3: 'nameserver' expects <name> and <addr>\[:<port>\] as arguments/],
    ['resolvers a\n  nameserver ns1 127.0.0.11', /h\.cfg:2:18: 'nameserver ns1' : a port is mandatory in '127\.0\.0\.11'/],
    ['resolvers a\n  nameserver ns1 dns.local:53', /h\.cfg:2:18: nameserver address 'dns\.local:53' is not an IP address/],
    ['resolvers a\n  nameserver ns1 tcp@127.0.0.11:53', /h\.cfg:2:18: .*only queries over UDP — write IP:PORT or udp@IP:PORT/],
    ['resolvers a\n  nameserver ns1 127.0.0.1:53\n  nameserver ns1 127.0.0.2:53', /h\.cfg:3:14: nameserver 'ns1' has same name as another nameserver \(declared at h\.cfg:2\)/],
    ['resolvers a\n  hold valid', /h\.cfg:2:8: 'hold' expects an <event> and a <time> as arguments/],
    ['resolvers a\n  hold forever 1s', /h\.cfg:2:8: 'hold' unknown <event>: 'forever'/],
    ['resolvers a\n  hold valid 1 s', /^$/],
    ['resolvers a\n  hold valid soon', /h\.cfg:2:14: invalid time value 'soon' for 'hold valid'/],
    ['resolvers a\n  timeout connect 1s', /h\.cfg:2:11: 'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'connect'/],
    ['resolvers a\n  timeout resolve', /h\.cfg:2:11: 'timeout resolve' expects <time> as argument/],
    ['resolvers a\n  resolve_retries 0', /h\.cfg:2:19: 'resolve_retries' must be between 1 and 2147483647 inclusive \(was 0\)/],
    ['resolvers a\n  accepted_payload_size 70000', /h\.cfg:2:25: 'accepted_payload_size' must be between 12 and 65535 inclusive \(was 70000\)/],
    ['resolvers a\n  parse-resolv-conf', /h\.cfg:2:3: 'parse-resolv-conf' is not supported by haplab's proxy .* — list each server with 'nameserver NAME IP:PORT'/],
    ['resolvers a\n  resolution_pool_size 4', /h\.cfg:2:3: unknown keyword 'resolution_pool_size' in 'resolvers' section — haplab reads nameserver/],
  ])('refuse %j', (text, message) => {
    expect(refusal(text)).toMatch(message);
  });
});

describe('server-template', () => {
  it('makes servers prefix1..N in order, each a copy of the line, numbered like servers', () => {
    const b = parseConfig(backend('    server first 127.0.0.1:1\n    server-template srv 3 tasks.app:5000 resolvers dns resolve-prefer ipv4 init-addr none weight 5')).backends.get('b')!;
    expect(b.servers.map((s) => [s.name, s.id, s.host, s.port, s.fqdn, s.resolvers, s.resolvePrefer, s.initAddr, s.weight])).toEqual([
      ['first', 1, '127.0.0.1', 1, false, undefined, undefined, undefined, 1],
      ['srv1', 2, 'tasks.app', 5000, true, 'dns', 'ipv4', 'none', 5],
      ['srv2', 3, 'tasks.app', 5000, true, 'dns', 'ipv4', 'none', 5],
      ['srv3', 4, 'tasks.app', 5000, true, 'dns', 'ipv4', 'none', 5],
    ]);
  });

  it('reads a range low-high', () => {
    const b = parseConfig(backend('    server-template web 4-6 app.test:80 resolvers dns')).backends.get('b')!;
    expect(b.servers.map((s) => s.name)).toEqual(['web4', 'web5', 'web6']);
  });

  it('takes a count or a range as HAProxy reads them with atoi()', () => {
    expect(templateRange('3')).toEqual({ low: 1, high: 3 });
    expect(templateRange('2-4')).toEqual({ low: 2, high: 4 });
    expect(templateRange('5-5')).toEqual({ low: 5, high: 5 });
    expect(templateRange('0')).toBeNull();
    expect(templateRange('abc')).toBeNull();
    expect(templateRange('4-2')).toBeNull();
  });

  it.each([
    ['    server-template srv 3', /h\.cfg:4:21: 'server-template' expects <prefix> <nb \| range> <addr>\[:<port>\] as arguments/],
    ['    server-template srv 0 app:80', /h\.cfg:4:25: Wrong server-template number or range arg '0'/],
    ['    server-template srv 3-1 app:80', /h\.cfg:4:25: Wrong server-template number or range arg '3-1'/],
    ['    server-template s/ 3 app:80', /h\.cfg:4:21: character '\/' is not permitted in server-template prefix 's\/'/],
    ['    server-template srv 3 app:80 id 7', /h\.cfg:4:21: 'id' on a 'server-template' of several servers gives them all the same id/],
    ['    server srv2 127.0.0.1:1\n    server-template srv 3 app:80', /h\.cfg:5:21: another server named 'srv2' was already defined at line 4/],
    ['    server-template srv 2 app:80 resolvers nope', /h\.cfg:4:21: backend 'b', server 'srv1': unable to find required resolvers 'nope' — declare 'resolvers nope' or use one of: dns/],
    ['    server-template srv 2 app:80 resolvers default', /unable to find required resolvers 'default' — HAProxy makes 'default' from \/etc\/resolv\.conf, which haplab's proxy does not read/],
    ['    server-template srv 2 app:80 resolve-prefer ipv5', /h\.cfg:4:49: 'resolve-prefer' expects 'ipv4' or 'ipv6', got 'ipv5'/],
    ['    server-template srv 2 app:80 resolve-opts allow-dup-ip', /h\.cfg:4:34: unknown keyword 'resolve-opts' on a server line — haplab supports .*resolvers, resolve-prefer/],
    ['    server-template srv 2 _http._tcp.app resolvers dns', /h\.cfg:4:27: server address '_http\._tcp\.app' names a DNS SRV record, which haplab's proxy does not resolve/],
    ['    server-template srv 2 app:80 init-addr dns', /h\.cfg:4:44: 'init-addr' does not know 'dns'/],
  ])('refuses %j', (line, message) => {
    expect(refusal(backend(line))).toMatch(message);
  });

  it('is refused outside a backend, as server is', () => {
    expect(refusal('frontend f\n    bind :80\n    server-template srv 2 app:80\n')).toMatch(/h\.cfg:3:5: 'server-template' not allowed because frontend 'f' has no backend capability/);
  });
});

describe('checkStartable with resolvers', () => {
  const unresolvable = () => Promise.reject(Object.assign(new Error('no'), { code: 'ENOTFOUND' }));
  const cfg = (options: string) => `frontend f\n    bind 127.0.0.1:8080\n    default_backend b\n${backend(`    server-template srv 2 tasks.app:80 ${options}`)}`;

  it('starts a server with resolvers and no init-addr even when libc cannot resolve it (default last,libc,none)', async () => {
    await expect(checkStartable(parseConfig(cfg('resolvers dns')), 'h.cfg', unresolvable)).resolves.toBeUndefined();
  });

  it('refuses one whose init-addr leaves no way to start', async () => {
    await expect(checkStartable(parseConfig(cfg('resolvers dns init-addr libc')), 'h.cfg', unresolvable)).rejects.toThrow(/could not resolve address 'tasks\.app' of server 'b\/srv1'/);
  });
});
