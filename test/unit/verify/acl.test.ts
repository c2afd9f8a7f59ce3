import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../../src/spec/types.js';
import type { ProbeRequest } from '../../../src/runtime/types.js';
import { formatIpv4, parseCidr } from '../../../src/verify/cidr.js';
import { aclProbes, parseAcl } from '../../../src/verify/models/acl-probes.js';
import { aclModel } from '../../../src/verify/models/acl.js';
import type { RouteOracle } from '../../../src/verify/oracles.js';
import { createRng } from '../../../src/verify/rng.js';
import { fakeLab, spec, testRouteOracle } from './fakes.js';
import { failing, runModel } from './harness.js';

/** A proxy that applies `rules` (an oracle) and forwards to the backend's first server. */
function routingProxy(lab: LabSpec, rules: RouteOracle, files404 = false) {
  return (req: ProbeRequest) => {
    const frontend = lab.frontends.find((f) => f.name === req.frontend)!;
    const d = rules.decide(frontend, { method: req.method, path: req.path, headers: req.headers ?? {}, sourceAddress: req.sourceAddress ?? '127.0.0.1' });
    if (d.kind === 'deny') return { status: d.status };
    const app = lab.backends.find((b) => b.name === d.backend)!.servers[0]!.app;
    return { app, status: files404 && req.path.startsWith('/static/') ? 404 : 200 };
  };
}

/** A runtime that can speak from any subnet (the Docker probe container with NET_ADMIN). */
function anyAddress(count: number, subnet?: string): string[] {
  const c = parseCidr(subnet ?? '172.30.0.0/16')!;
  return Array.from({ length: count }, (_, i) => formatIpv4(c.base + 10 + i));
}

describe('ACL probe generation', () => {
  it('parses HAProxy acl criteria', () => {
    expect(parseAcl('m', 'req.hdr(User-Agent) -i -m sub Mobile')).toEqual({ name: 'm', fetch: 'req.hdr', arg: 'User-Agent', ignoreCase: true, match: 'sub', values: ['Mobile'] });
    expect(parseAcl('s', 'src 192.168.1.0/24')).toMatchObject({ fetch: 'src', values: ['192.168.1.0/24'] });
  });
  it('crosses matching and non-matching values of every ACL', async () => {
    const lab = await spec('ep04');
    const admin = lab.frontends.find((f) => f.name === 'admin_front')!;
    const probes = aclProbes(lab, admin, createRng(1));
    const kinds = new Set(probes.map((p) => `${p.path.startsWith('/admin') ? 'admin' : 'other'}:${p.source.kind}`));
    expect(kinds).toEqual(new Set(['admin:inside', 'admin:outside', 'other:inside', 'other:outside']));
    const agent = lab.frontends.find((f) => f.name === 'agent_front')!;
    const uas = new Set(aclProbes(lab, agent, createRng(1)).map((p) => p.headers['User-Agent']));
    expect([...uas].some((u) => u!.includes('Mobile'))).toBe(true);
    expect([...uas].some((u) => u!.includes('mOBILE'))).toBe(true); // -i: a case variant must match too
    expect([...uas].some((u) => !/mobile/i.test(u!))).toBe(true);
  });
});

describe('ACL model (ep04, six frontends)', async () => {
  const lab = await spec('ep04');
  const frontends = lab.frontends;
  const oracle = testRouteOracle();

  it('a proxy that applies the rules passes every check', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, oracle) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(o.checks.some((c) => c.name === 'acl.block_front → 403 (deny)')).toBe(true);
    expect(o.checks.some((c) => c.name === 'acl.admin_front → 403 (deny)')).toBe(true);
    expect(o.checks.filter((c) => c.skipped)).toEqual([]);
    // Probes about the 192.168.1.0/24 rule came from inside it.
    expect(fake.sent.some((r) => r.frontend === 'block_front' && r.sourceAddress?.startsWith('192.168.1.'))).toBe(true);
  });

  it('an ACL removed (the src deny ignored) fails the check named after it', async () => {
    const broken = testRouteOracle(['http-request deny if block_ip']);
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, broken) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.block_front → 403 (deny)']);
  });

  it('the User-Agent rule removed fails the mobile route', async () => {
    const broken = testRouteOracle(['use_backend mobile_backend if is_mobile_user_agent']);
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, broken) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.agent_front → mobile_backend']);
  });

  it('on the local runtime 192.168.x probes are skipped with the reason, never passed', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, oracle) }, { runtime: 'local' });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const checks = outcomes.get('haproxy')!.checks;
    const skipped = checks.filter((c) => c.skipped);
    expect(skipped.map((c) => c.name).sort()).toEqual(['acl.admin_front from inside 192.168.10.0/24', 'acl.block_front from inside 192.168.1.0/24']);
    expect(skipped.every((c) => !c.pass && /127\.0\.0\.0\/8/.test(c.skipped!))).toBe(true);
    expect(failing(checks)).toEqual([]);
    expect(fake.sent.some((r) => r.sourceAddress?.startsWith('192.168.'))).toBe(false);
  });

  it('a prober that cannot make the addresses: skipped with its error', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, oracle) }, { addresses: (n, subnet) => { if (subnet?.startsWith('192.168.1.')) throw new Error('no NET_ADMIN'); return anyAddress(n, subnet); } });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const skipped = outcomes.get('haproxy')!.checks.filter((c) => c.skipped);
    expect(skipped.map((c) => c.name)).toEqual(['acl.block_front from inside 192.168.1.0/24']);
    expect(skipped[0]!.skipped).toMatch(/no NET_ADMIN/);
  });

  it('without the route oracle every ACL check is skipped', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, oracle) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake);
    const checks = outcomes.get('haproxy')!.checks;
    expect(checks.length).toBe(6);
    expect(checks.every((c) => c.skipped && /route oracle/.test(c.skipped))).toBe(true);
    expect(fake.sent.length).toBe(0);
  });
});

describe('ACL model (ep03: static vs dynamic)', async () => {
  const lab = await spec('ep03');
  const oracle = testRouteOracle();
  it('static files are served from the static backend', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, oracle) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(o.checks.map((c) => c.name)).toEqual(['acl.http_front → dynamic_backend', 'acl.http_front → static_backend', 'acl.http_front served']);
    expect(fake.sent.some((r) => r.path === '/static/logo.png')).toBe(true);
  });
  it('files not served fail "served"', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, oracle, true) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.http_front served']);
  });
  it('the path ACL removed: static paths land on dynamic_backend and that check fails', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, testRouteOracle(['use_backend static_backend if is_static'])) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.http_front → static_backend']);
  });
});
