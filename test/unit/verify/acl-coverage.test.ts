/**
 * Rule-line coverage: every routing line of ep03 and ep04 is changed every way, each change is
 * exercised by a probe (or reported not covered, with the reason), and each changed spec fails a
 * check that names its line.
 */
import { describe, expect, it } from 'vitest';
import type { FrontendSpec, LabSpec } from '../../../src/lab-schema/types.js';
import { coverageCheck, judgeAcl } from '../../../src/verify/models/acl-judge.js';
import { mutants, ruleLines } from '../../../src/verify/models/acl-rules.js';
import { specOracles } from '../../../src/verify/spec-oracles.js';
import { DEFAULT_SOURCE } from '../../../src/verify/hash-keys.js';
import { answer, localLike, plan } from './acl-helpers.js';
import { spec } from './fakes.js';

const LABS = ['ep03', 'ep04'] as const;

/** The spec with one frontend replaced. */
function withFrontend(lab: LabSpec, frontend: FrontendSpec): LabSpec {
  return { ...lab, frontends: lab.frontends.map((f) => (f.name === frontend.name ? frontend : f)) };
}

describe('rule lines and their changes', () => {
  it('names each line as the lab\'s haproxy.cfg shows it, with its line number', async () => {
    const ep03 = await spec('ep03');
    const lines = ruleLines(ep03, ep03.frontends[0]!);
    expect(lines.map((r) => r.text)).toEqual(['acl is_static path_beg /static', 'use_backend static_backend if is_static']);
    expect(lines.every((r) => r.line !== undefined && r.label === `${r.text} (haproxy.cfg line ${r.line})`)).toBe(true);
    expect(lines[1]!.line).toBe(lines[0]!.line! + 1);
  });

  it('changes every line both ways and at its edges: removal, always, flip, terms, values', async () => {
    const ep04 = await spec('ep04');
    const admin = ep04.frontends.find((f) => f.name === 'admin_front')!;
    const byLine = new Map<string, string[]>();
    for (const m of mutants(ep04, admin)) byLine.set(m.rule.text, [...(byLine.get(m.rule.text) ?? []), m.change]);
    expect(byLine.get('acl is_admin_path path_beg /admin')).toEqual(expect.arrayContaining(['never matches (its line lost)', 'always matches', '-i added', '/admin → /admi', '/admin → /adminx', '-m beg → -m str']));
    expect(byLine.get('acl is_internal_network src 192.168.10.0/24')).toEqual(expect.arrayContaining(['192.168.10.0/24 → 192.168.10.0/23', '192.168.10.0/24 → 192.168.10.0/25']));
    expect(byLine.get('http-request deny if is_admin_path !is_internal_network')).toEqual(['removed', 'its condition dropped (always applies)', 'if → unless',
      'term is_admin_path dropped', 'term is_admin_path → !is_admin_path', 'term !is_internal_network dropped', 'term !is_internal_network → is_internal_network']);
    const agent = ep04.frontends.find((f) => f.name === 'agent_front')!;
    const changed = mutants(ep04, agent).find((m) => m.change === '-i dropped')!;
    expect(changed.frontend.acls![0]!.criterion).toBe('req.hdr(User-Agent) -m sub Mobile');
    // Each change is a copy: the lab's frontend is untouched.
    expect(agent.acls![0]!.criterion).toBe('req.hdr(User-Agent) -i -m sub Mobile');
  });
});

describe('coverage: every rule line of ep03 and ep04 is exercised both ways (the real RouteOracle)', () => {
  for (const id of LABS) {
    it(`${id}: on a runtime that can send from every range, every line is covered both ways`, async () => {
      const lab = await spec(id);
      const oracle = specOracles(lab).route;
      for (const f of lab.frontends) {
        const { probes, coverage } = plan(lab, f, oracle);
        expect(coverage.map((c) => c.rule.text)).toEqual(ruleLines(lab, f).map((r) => r.text));
        for (const c of coverage) {
          expect(c.missed, `${f.name}: ${c.rule.label}`).toEqual([]);
          expect(c.takes, `${f.name}: no probe takes ${c.rule.label}`).toBeGreaterThan(0);
          expect(c.fallsThrough, `${f.name}: no probe falls through ${c.rule.label}`).toBeGreaterThan(0);
        }
        const check = coverageCheck(f, coverage);
        expect(check).toMatchObject({ name: `acl.coverage ${f.name}`, pass: true, observed: `${coverage.length}/${coverage.length} lines covered both ways` });
        expect(check.covers).toEqual(ruleLines(lab, f).map((r) => r.label));
        // Every line is covered by some probe, and so named by some outcome check.
        const named = new Set(judgeAcl(lab, f, probes, probes.map((p) => answer(lab, p.expected))).flatMap((c) => c.covers ?? []));
        expect([...named].sort()).toEqual(ruleLines(lab, f).map((r) => r.label).sort());
      }
    });
  }

  it('ep04 on loopback only: the src lines are not covered, with the range and the reason; the check is skipped, not passed', async () => {
    const lab = await spec('ep04');
    const oracle = specOracles(lab).route;
    const block = lab.frontends.find((f) => f.name === 'block_front')!;
    const { coverage, probes } = plan(lab, block, oracle, { addresses: localLike });
    expect(probes.every((p) => p.sourceAddress?.startsWith('127.'))).toBe(true);
    const missed = Object.fromEntries(coverage.map((c) => [c.rule.text, c.missed.map((m) => m.change)]));
    expect(missed).toEqual({
      'acl block_ip src 192.168.1.0/24': ['never matches (its line lost)', '192.168.1.0/24 → 192.168.0.0/23', '192.168.1.0/24 → 192.168.1.0/25'],
      'http-request deny if block_ip': ['removed'],
    });
    expect(coverage.flatMap((c) => c.missed).every((m) => /needs a probe from (inside 192\.168\.1\.0\/24|just outside 192\.168\.1\.0\/24 \(192\.168\.0\.0\/24\)): the local runtime/.test(m.reason))).toBe(true);
    const check = coverageCheck(block, coverage);
    expect(check.pass).toBe(false);
    expect(check.skipped).toMatch(/not covered: http-request deny if block_ip \(haproxy\.cfg line \d+\): removed \(needs a probe from inside 192\.168\.1\.0\/24/);
    // What loopback can prove is still proven: the deny does not fire outside its range.
    expect(coverage.find((c) => c.rule.kind === 'deny')!.fallsThrough).toBeGreaterThan(0);
  });

  it('the search adds probes until every change is caught, when nothing is planned first', async () => {
    const lab = await spec('ep04');
    const oracle = specOracles(lab).route;
    for (const f of lab.frontends) {
      const { probes, coverage, candidates } = plan(lab, f, oracle, { initial: () => [] });
      expect(coverage.flatMap((c) => c.missed), f.name).toEqual([]);
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.length).toBeLessThanOrEqual(candidates.length);
      // Each probe was added for a reason: it catches a change of some line.
      expect(probes.every((p) => p.covers.length > 0)).toBe(true);
    }
  });

  it('a rule shadowed by an earlier one is reported not covered, with the rule that shadows it', async () => {
    const lab = await spec('ep04');
    const shadowed: FrontendSpec = {
      ...lab.frontends.find((f) => f.name === 'path_front')!,
      acls: [{ name: 'is_static', criterion: 'path_beg /static' }, { name: 'is_logo', criterion: 'path_beg /static/logo' }],
      rules: ['use_backend static_backend if is_static', 'use_backend post_backend if is_logo'],
    };
    const mutated = withFrontend(lab, shadowed);
    const { coverage } = plan(mutated, shadowed, specOracles(mutated).route);
    const logo = coverage.find((c) => c.rule.text === 'use_backend post_backend if is_logo')!;
    expect(logo.missed.find((m) => m.change === 'removed')?.reason).toMatch(/^shadowed: .*decided first by use_backend static_backend if is_static \(haproxy\.cfg line \d+\)/);
    expect(coverage.find((c) => c.rule.text === 'use_backend static_backend if is_static')!.missed).toEqual([]);
    expect(coverageCheck(shadowed, coverage).skipped).toMatch(/not covered: use_backend post_backend if is_logo/);
  });

  it('a rule that only moves requests between backends with the same servers cannot be seen, and says so', async () => {
    const lab = await spec('ep04');
    // web_backend and main_backend both send to the app "main".
    const lookalike: FrontendSpec = { ...lab.frontends.find((f) => f.name === 'method_front')!, rules: ['use_backend web_backend if is_post_method'], defaultBackend: 'main_backend' };
    const mutated = withFrontend(lab, lookalike);
    const { coverage } = plan(mutated, lookalike, specOracles(mutated).route);
    const rule = coverage.find((c) => c.rule.kind === 'use_backend')!;
    expect(rule.missed.map((m) => m.reason)).toContain('it only moves requests between backends that share servers (web_backend, main_backend): no answer tells them apart');
  });
});

describe('mutation: every change of every rule line of ep03 and ep04 fails a check that names that line', () => {
  for (const id of LABS) {
    it(`${id}: the judge, given what the changed spec's RouteOracle decides, fails and names the line`, async () => {
      const lab = await spec(id);
      const oracle = specOracles(lab).route;
      let tried = 0;
      for (const f of lab.frontends) {
        const { probes } = plan(lab, f, oracle);
        // Control: answers as the spec decides pass every check.
        expect(judgeAcl(lab, f, probes, probes.map((p) => answer(lab, p.expected))).filter((c) => !c.pass)).toEqual([]);
        const lines = ruleLines(lab, f);
        const changes = mutants(lab, f, lines);
        expect(new Set(changes.map((m) => m.rule)).size, `${f.name}: a line without changes`).toBe(lines.length);
        for (const m of changes) {
          // The changed spec, with its own oracle: what a proxy running that config does.
          const changed = withFrontend(lab, m.frontend);
          const proxy = specOracles(changed).route;
          const responses = probes.map((p) => answer(lab, proxy.decide(m.frontend, { method: p.method, path: p.path, headers: p.headers, sourceAddress: p.sourceAddress ?? DEFAULT_SOURCE })));
          const failing = judgeAcl(lab, f, probes, responses).filter((c) => !c.pass);
          const what = `${f.name}: ${m.rule.text}: ${m.change}`;
          expect(failing.length, `${what}: no check failed`).toBeGreaterThan(0);
          expect(failing.some((c) => c.covers?.includes(m.rule.label)), `${what}: no failing check names the line (${failing.map((c) => `${c.name} covers ${c.covers?.join(', ')}`).join(' | ')})`).toBe(true);
          if (m.change === 'removed') {
            // The failure says which rule should have given the outcome.
            expect(failing.some((c) => c.detail.includes(m.rule.label)), `${what}: ${failing.map((c) => c.detail).join(' | ')}`).toBe(true);
          }
          tried++;
        }
      }
      expect(tried).toBeGreaterThanOrEqual(id === 'ep03' ? 9 : 50);
    });
  }
});
