/**
 * The ACL model on ep04 and ep03: a proxy applying the rules passes and names the lines covered;
 * a deleted or changed rule fails the check that names it; what cannot be probed is skipped, never passed.
 */
import { describe, expect, it } from 'vitest';
import type { LabSpec } from '../../../src/lab-schema/types.js';
import type { ProbeRequest } from '../../../src/runtime/types.js';
import { formatIpv4, parseCidr } from '../../../src/verify/cidr.js';
import { aclModel } from '../../../src/verify/models/acl.js';
import { specOracles } from '../../../src/verify/spec-oracles.js';
import { fakeLab, spec } from './fakes.js';
import { byName, failing, runModel } from './harness.js';

/** The lab with these rule lines gone from every frontend: what a proxy running the edited config does. */
function without(lab: LabSpec, ...rules: string[]): LabSpec {
  return { ...lab, frontends: lab.frontends.map((f) => ({ ...f, rules: (f.rules ?? []).filter((r) => !rules.includes(r)) })) };
}

/** A proxy that routes as `config` says (through haplab's ACL evaluator) and forwards to the backend's first server. */
function routingProxy(lab: LabSpec, config: LabSpec = lab, files404 = false) {
  const rules = specOracles(config).route;
  return (req: ProbeRequest) => {
    const frontend = config.frontends.find((f) => f.name === req.frontend)!;
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

describe('ACL model (ep04, six frontends)', async () => {
  const lab = await spec('ep04');
  const frontends = lab.frontends;
  const oracle = specOracles(lab).route;

  it('a proxy that applies the rules passes every check, and each check names the lines it covers', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(o.checks.filter((c) => c.skipped)).toEqual([]);
    const deny = byName(o.checks, 'acl.block_front → 403 (deny)');
    expect(deny.covers).toEqual([expect.stringMatching(/^acl block_ip src 192\.168\.1\.0\/24 \(haproxy\.cfg line \d+\)$/), expect.stringMatching(/^http-request deny if block_ip \(haproxy\.cfg line \d+\)$/)]);
    expect(byName(o.checks, 'acl.admin_front → 403 (deny)').covers).toHaveLength(3);
    for (const f of frontends) expect(byName(o.checks, `acl.coverage ${f.name}`), f.name).toMatchObject({ pass: true });
    // Probes about the 192.168.1.0/24 rule came from inside it, and from the block next to it.
    expect(fake.sent.some((r) => r.frontend === 'block_front' && r.sourceAddress?.startsWith('192.168.1.'))).toBe(true);
    expect(fake.sent.some((r) => r.frontend === 'block_front' && r.sourceAddress?.startsWith('192.168.0.'))).toBe(true);
  });

  it('the src deny deleted from the config fails the check that names it', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, without(lab, 'http-request deny if block_ip')) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const checks = outcomes.get('haproxy')!.checks;
    expect(failing(checks)).toEqual(['acl.block_front → 403 (deny)']);
    expect(byName(checks, 'acl.block_front → 403 (deny)').detail).toMatch(/GET \/ from 192\.168\.1\.\d+ → web_backend \(rule: http-request deny if block_ip \(haproxy\.cfg line \d+\)\)/);
  });

  it('the User-Agent rule deleted fails the mobile route', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, without(lab, 'use_backend mobile_backend if is_mobile_user_agent')) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.agent_front → mobile_backend']);
  });

  it('on the local runtime 192.168.x probes are skipped with the reason, and so is the coverage they would give — never passed', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab) }, { runtime: 'local' });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const checks = outcomes.get('haproxy')!.checks;
    const skipped = checks.filter((c) => c.skipped);
    expect(skipped.map((c) => c.name).sort()).toEqual([
      'acl.admin_front from inside 192.168.10.0/24', 'acl.admin_front from just outside 192.168.10.0/24 (192.168.11.0/24)',
      'acl.block_front from inside 192.168.1.0/24', 'acl.block_front from just outside 192.168.1.0/24 (192.168.0.0/24)',
      'acl.coverage admin_front', 'acl.coverage block_front',
    ]);
    expect(skipped.every((c) => !c.pass && /127\.0\.0\.0\/8/.test(c.skipped!))).toBe(true);
    expect(byName(checks, 'acl.coverage admin_front').skipped).toMatch(/not covered: http-request deny if is_admin_path !is_internal_network \(haproxy\.cfg line \d+\): term !is_internal_network dropped \(needs a probe from inside 192\.168\.10\.0\/24/);
    expect(failing(checks)).toEqual([]);
    expect(byName(checks, 'acl.coverage path_front').pass).toBe(true);
    expect(fake.sent.some((r) => r.sourceAddress?.startsWith('192.168.'))).toBe(false);
  });

  it('a prober that cannot make the addresses: skipped with its error', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab) }, { addresses: (n, subnet) => { if (subnet?.startsWith('192.168.1.')) throw new Error('no NET_ADMIN'); return anyAddress(n, subnet); } });
    const { outcomes } = await runModel(aclModel(frontends), fake, { oracles: { route: oracle } });
    const skipped = outcomes.get('haproxy')!.checks.filter((c) => c.skipped);
    expect(skipped.map((c) => c.name)).toEqual(['acl.coverage block_front', 'acl.block_front from inside 192.168.1.0/24']);
    expect(skipped[1]!.skipped).toMatch(/no NET_ADMIN/);
  });

  it('without the route oracle every ACL check is skipped', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab) }, { addresses: anyAddress });
    const { outcomes } = await runModel(aclModel(frontends), fake);
    const checks = outcomes.get('haproxy')!.checks;
    expect(checks.length).toBe(6);
    expect(checks.every((c) => c.skipped && /route oracle/.test(c.skipped))).toBe(true);
    expect(fake.sent.length).toBe(0);
  });
});

describe('ACL model (ep03: static vs dynamic)', async () => {
  const lab = await spec('ep03');
  const oracle = specOracles(lab).route;
  it('static files are served from the static backend', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    const o = outcomes.get('haproxy')!;
    expect(failing(o.checks)).toEqual([]);
    expect(o.checks.map((c) => c.name)).toEqual(['acl.http_front → dynamic_backend', 'acl.http_front → static_backend', 'acl.http_front served', 'acl.coverage http_front']);
    expect(fake.sent.some((r) => r.path === '/static/logo.png')).toBe(true);
  });
  it('files not served fail "served"', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, lab, true) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.http_front served']);
  });
  it('the use_backend line deleted: static paths land on dynamic_backend and that check fails', async () => {
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, without(lab, 'use_backend static_backend if is_static')) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual(['acl.http_front → static_backend']);
  });
  it('-i added to the path ACL: /STATIC goes to static_backend, and the dynamic route check fails naming the acl line', async () => {
    const edited = { ...lab, frontends: lab.frontends.map((f) => ({ ...f, acls: [{ name: 'is_static', criterion: 'path_beg -i /static' }] })) };
    const fake = fakeLab(lab, { haproxy: routingProxy(lab, edited) });
    const { outcomes } = await runModel(aclModel(lab.frontends), fake, { oracles: { route: oracle } });
    const checks = outcomes.get('haproxy')!.checks;
    expect(failing(checks)).toEqual(['acl.http_front → dynamic_backend']);
    expect(byName(checks, 'acl.http_front → dynamic_backend').detail).toMatch(/GET \/STATIC → static_backend/);
    expect(byName(checks, 'acl.http_front → dynamic_backend').covers).toContainEqual(expect.stringMatching(/^acl is_static path_beg \/static \(haproxy\.cfg line \d+\)$/));
  });
});
