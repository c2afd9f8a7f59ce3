/**
 * ACLs evaluate as HAProxy's do: path and hdr() fetches, IPv4/IPv6 matching, the match
 * methods and their flags, conditions (and, or, !, unless, predefined ACLs) and the routing
 * rules (first allow or deny wins, use_backend, listen sections, nothing layer-7 in tcp mode).
 */
import { describe, expect, it } from 'vitest';
import { headerValues, parseIp, parseNetwork, addressInNetwork, routeRequest, uriPath } from '../../../src/proxy/acl/index.js';
import type { RequestFacts } from '../../../src/proxy/acl/index.js';
import { parseConfig } from '../../../src/proxy/config/index.js';

function request(partial: Partial<RequestFacts>): RequestFacts {
  return { method: 'GET', uri: '/', headers: [], sourceAddress: '127.0.0.1', ...partial };
}

/** Routes requests through a one-frontend config written around `rules`. */
function router(rules: string, extraBackends = '') {
  const config = parseConfig(`
defaults
    mode http
frontend f
    bind :8080
${rules
  .trim()
  .split('\n')
  .map((l) => `    ${l.trim()}`)
  .join('\n')}
    default_backend dflt
backend dflt
backend hit
${extraBackends}`);
  const frontend = config.frontends[0]!;
  return (partial: Partial<RequestFacts>) => {
    const d = routeRequest(frontend, request(partial), config.backends);
    return d.action === 'backend' ? d.backend : d.action === 'deny' ? d.status : d.action;
  };
}

describe('fetches', () => {
  it('path stops at the query and skips scheme and authority, like http_parse_path', () => {
    expect(uriPath('/a/b?c=d')).toBe('/a/b');
    expect(uriPath('/?p=/static')).toBe('/');
    expect(uriPath('http://h:80/x?y')).toBe('/x');
    expect(uriPath('https://user@h/x')).toBe('/x');
    expect(uriPath('http://h')).toBeUndefined();
    expect(uriPath('*')).toBeUndefined();
    expect(uriPath('h:443')).toBeUndefined();
  });

  it('hdr() yields every comma-separated value of every line, trimmed, quotes kept whole', () => {
    const facts = request({ headers: ['Accept', 'a, b ,c', 'X', 'y', 'accept', '"d,e", ,'] });
    expect(headerValues(facts, 'ACCEPT')).toEqual(['a', 'b', 'c', '"d,e"', '', '']);
    expect(headerValues(request({ headers: { 'user-agent': ['u1', 'u2, u3'] } }), 'User-Agent')).toEqual(['u1', 'u2', 'u3']);
  });
});

describe('IP matching', () => {
  const inNet = (ip: string, net: string) => addressInNetwork(parseIp(ip)!, parseNetwork(net)!);

  it('matches IPv4 CIDR and dotted masks', () => {
    expect(inNet('192.168.1.77', '192.168.1.0/24')).toBe(true);
    expect(inNet('192.168.2.1', '192.168.1.0/24')).toBe(false);
    expect(inNet('10.1.2.3', '10.0.0.0/255.0.0.0')).toBe(true);
    expect(inNet('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(inNet('192.168.1.6', '192.168.1.5')).toBe(false);
    expect(inNet('1.2.3.4', '0.0.0.0/0')).toBe(true);
    // the address part is not masked first: 192.168.1.5/24 still means 192.168.1.0/24
    expect(inNet('192.168.1.200', '192.168.1.5/24')).toBe(true);
  });

  it('matches IPv6 prefixes and crosses families like HAProxy', () => {
    expect(inNet('2001:db8::1', '2001:db8::/32')).toBe(true);
    expect(inNet('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(inNet('::1', '::1')).toBe(true);
    // IPv4-mapped, IPv4-compatible and 6to4 clients match IPv4 patterns
    expect(inNet('::ffff:192.168.10.9', '192.168.10.0/24')).toBe(true);
    expect(inNet('::192.168.10.9', '192.168.10.0/24')).toBe(true);
    expect(inNet('2002:c0a8:0a09::1', '192.168.10.0/24')).toBe(true);
    // and an IPv4 client matches an IPv6 pattern through ::ffff:a.b.c.d
    expect(inNet('192.168.10.9', '::ffff:192.168.10.0/120')).toBe(true);
    expect(inNet('192.168.10.9', '2001:db8::/32')).toBe(false);
  });

  it('refuses malformed addresses', () => {
    for (const bad of ['300.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4/33', '::1/129', 'localhost', '1:2:3:4:5:6:7:8:9']) {
      expect(parseNetwork(bad), bad).toBeUndefined();
    }
  });
});

describe('match methods', () => {
  it('path_beg is a byte prefix, case-sensitive unless -i', () => {
    const route = router(`
      acl s path_beg /static
      use_backend hit if s`);
    expect(route({ uri: '/static' })).toBe('hit');
    expect(route({ uri: '/staticx' })).toBe('hit');
    expect(route({ uri: '/STATIC' })).toBe('dflt');
    expect(route({ uri: '//static' })).toBe('dflt');
    expect(route({ uri: '/x?/static' })).toBe('dflt');
    const insensitive = router(`
      acl s path_beg -i /static
      use_backend hit if s`);
    expect(insensitive({ uri: '/STATIC/a' })).toBe('hit');
  });

  it('str, end, sub, reg, dir, dom, len, found', () => {
    const route = router(`
      acl exact path /a
      acl end path_end .png
      acl sub path_sub /x/
      acl reg path_reg ^/v[0-9]+/
      acl dir path_dir img
      acl dom hdr(host) -m dom example.com
      acl len path_len 10:
      acl found hdr(X-A) -m found
      use_backend hit if exact or end or sub or reg or dir or dom or len or found`);
    for (const uri of ['/a', '/p.png', '/1/x/2', '/v2/q', '/img', '/a/img/b', '/0123456789']) expect(route({ uri }), uri).toBe('hit');
    for (const uri of ['/a/', '/p.pngx', '/xx', '/v/q', '/imgs', '/short']) expect(route({ uri }), uri).toBe('dflt');
    expect(route({ headers: ['Host', 'www.example.com:80'] })).toBe('hit');
    expect(route({ headers: ['Host', 'badexample.com'] })).toBe('dflt');
    expect(route({ headers: ['X-A', ''] })).toBe('hit');
  });

  it('-m sub on User-Agent with -i, as ep04 writes it', () => {
    const route = router(`
      acl m req.hdr(User-Agent) -i -m sub Mobile
      use_backend hit if m`);
    expect(route({ headers: ['User-Agent', 'Foo MOBILE bar'] })).toBe('hit');
    expect(route({ headers: ['User-Agent', 'Desktop'] })).toBe('dflt');
    expect(route({})).toBe('dflt');
  });

  it('method matches known methods by identity only, as pat_match_meth does', () => {
    const route = router(`
      acl post method POST
      acl lower method -i post
      acl purge method PURGE
      use_backend hit if post or purge`);
    expect(route({ method: 'POST' })).toBe('hit');
    expect(route({ method: 'PURGE' })).toBe('hit');
    expect(route({ method: 'GET' })).toBe('dflt');
    const lower = router(`
      acl lower method -i post
      use_backend hit if lower`);
    // "post" is not a known method name, so it never equals the known method POST
    expect(lower({ method: 'POST' })).toBe('dflt');
  });

  it('treats words after the first pattern as patterns, and -- ends the options', () => {
    const route = router(`
      acl a hdr(X) /x -i
      acl b hdr(Y) -- -i
      use_backend hit if a or b`);
    expect(route({ headers: ['X', '-i'] })).toBe('hit');
    expect(route({ headers: ['Y', '-i'] })).toBe('hit');
    expect(route({ headers: ['X', '/X'] })).toBe('dflt');
  });
});

describe('conditions and rules', () => {
  it('ANDs terms, ORs suites, negates with !, and inverts with unless', () => {
    const route = router(`
      acl admin path_beg /admin
      acl internal src 192.168.10.0/24
      http-request deny if admin !internal
      acl a path /a
      acl b hdr(X-B) -m found
      use_backend hit if a b || ! admin a
      use_backend hit unless { path_beg / }`);
    expect(route({ uri: '/admin' })).toBe(403);
    expect(route({ uri: '/admin', sourceAddress: '192.168.10.4' })).toBe('dflt');
    expect(route({ uri: '/a' })).toBe('hit');
    expect(route({ uri: 'http://h' })).toBe('hit'); // no path: path_beg fails, unless turns it true
    expect(route({ uri: '/b' })).toBe('dflt');
  });

  it('ORs several acl lines with one name', () => {
    const route = router(`
      acl s path_beg /static
      acl s path_end .css
      use_backend hit if s`);
    expect(route({ uri: '/static/a' })).toBe('hit');
    expect(route({ uri: '/x.css' })).toBe('hit');
    expect(route({ uri: '/x.js' })).toBe('dflt');
  });

  it('stops http-request rules at the first allow or deny, keeping deny_status', () => {
    const route = router(`
      acl ok src 10.0.0.0/8
      http-request allow if ok
      http-request deny deny_status 429 if { path_beg /api }
      http-request deny`);
    expect(route({ sourceAddress: '10.1.1.1', uri: '/api' })).toBe('dflt');
    expect(route({ uri: '/api' })).toBe(429);
    expect(route({ uri: '/' })).toBe(403);
  });

  it('knows the predefined ACLs', () => {
    const route = router(`
      use_backend hit if METH_GET LOCALHOST HTTP_1.1 !HTTP_URL_ABS`);
    expect(route({ method: 'HEAD' })).toBe('hit');
    expect(route({ method: 'POST' })).toBe('dflt');
    expect(route({ sourceAddress: '10.0.0.1' })).toBe('dflt');
    expect(route({ uri: 'http://x/' })).toBe('dflt');
  });

  it('applies the chosen backend own http-request rules, and answers 503 without a backend', () => {
    const config = parseConfig(`
defaults
    mode http
frontend f
    bind :80
    use_backend guarded if { path_beg /g }
backend guarded
    http-request deny deny_status 401 if { path /g/secret }
`);
    const f = config.frontends[0]!;
    const decide = (uri: string) => routeRequest(f, request({ uri }), config.backends);
    expect(decide('/g/secret')).toMatchObject({ action: 'deny', status: 401 });
    expect(decide('/g/open')).toEqual({ action: 'backend', backend: 'guarded' });
    expect(decide('/other')).toEqual({ action: 'no-backend', status: 503 });
  });

  it('routes a listen section to itself and spots stats requests', () => {
    const config = parseConfig(`
listen web
    mode http
    bind :80
    stats uri /stats
`);
    const f = config.frontends[0]!;
    expect(routeRequest(f, request({ uri: '/x' }))).toEqual({ action: 'backend', backend: 'web' });
    expect(routeRequest(f, request({ uri: '/stats;csv' }))).toEqual({ action: 'stats', proxy: 'web' });
    expect(routeRequest(f, request({ uri: '/stats', method: 'PUT' }))).toEqual({ action: 'backend', backend: 'web' });
  });

  it('sees no HTTP in a tcp frontend: layer-7 ACLs never match there', () => {
    const config = parseConfig(`
frontend t
    bind :4000
    use_backend hit if { path_beg / }
    use_backend hit2 if !{ method GET } { src 127.0.0.0/8 }
    default_backend dflt
backend dflt
backend hit
backend hit2
`);
    const d = routeRequest(config.frontends[0]!, request({ layer4Only: true }), config.backends);
    expect(d).toEqual({ action: 'backend', backend: 'hit2' });
    expect(config.warnings.some((w) => /never match/.test(w.message))).toBe(true);
  });
});
