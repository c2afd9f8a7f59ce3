/**
 * ACL criteria parse and write back, and probe candidates generated from the rules match and miss
 * every ACL of ep03 and ep04, with near misses at each edge and a seeded sample when there are too many.
 */
import { describe, expect, it } from 'vitest';
import type { FrontendSpec, LabSpec } from '../../../src/lab-schema/types.js';
import { formatCidr } from '../../../src/verify/cidr.js';
import { effectiveMatch, formatAcl, parseAcl } from '../../../src/verify/models/acl-criterion.js';
import { aclCandidates, representativeAddress, sampleProbes, type AclProbe } from '../../../src/verify/models/acl-probes.js';
import { createRng } from '../../../src/verify/rng.js';
import { specOracles } from '../../../src/verify/spec-oracles.js';
import { spec } from './fakes.js';

describe('ACL criteria', () => {
  it('parses HAProxy acl criteria and writes them back', () => {
    expect(parseAcl('m', 'req.hdr(User-Agent) -i -m sub Mobile')).toEqual({ name: 'm', fetch: 'req.hdr', arg: 'User-Agent', ignoreCase: true, match: 'sub', flags: [], values: ['Mobile'] });
    expect(parseAcl('s', 'src 192.168.1.0/24')).toMatchObject({ fetch: 'src', values: ['192.168.1.0/24'] });
    for (const criterion of ['req.hdr(User-Agent) -i -m sub Mobile', 'path_beg /static', 'src 192.168.1.0/24 10.0.0.1', 'hdr_sub(X-Tag) -n -u 7 "two words"', 'path -- -dash']) {
      expect(formatAcl(parseAcl('x', criterion)), criterion).toBe(criterion);
    }
    // Options come before the first pattern only.
    expect(parseAcl('x', 'path_beg /a -i').values).toEqual(['/a', '-i']);
  });
  it('knows the comparison in effect', () => {
    expect(['path_beg /a', 'path /a', 'url_sub a', 'hdr_end(Host) .com', 'req.hdr(User-Agent) -m sub M', 'req.hdr(X) x', 'src 10.0.0.0/8', 'method POST', 'path_beg -m str /a']
      .map((c) => effectiveMatch(parseAcl('x', c)))).toEqual(['beg', 'str', 'sub', 'end', 'sub', 'str', 'ip', 'method', 'str']);
  });
});

/** A frontend whose one rule sends to `backend` exactly when `acl` matches. */
function only(lab: LabSpec, frontend: FrontendSpec, acl: string): FrontendSpec {
  const other = lab.backends.find((b) => b.name !== frontend.defaultBackend)!.name;
  return { ...frontend, acls: frontend.acls!.filter((a) => a.name === acl), rules: [`use_backend ${other} if ${acl}`] };
}

function matches(lab: LabSpec, frontend: FrontendSpec, acl: string, p: AclProbe): boolean {
  const f = only(lab, frontend, acl);
  const d = specOracles(lab).route.decide(f, { method: p.method, path: p.path, headers: p.headers, sourceAddress: representativeAddress(p.source) });
  return d.kind === 'backend' && d.backend !== frontend.defaultBackend;
}

describe('ACL probe candidates (generated from the rules, not per lab)', () => {
  it('every ACL of ep03 and ep04 has candidates that match it and candidates that do not (real evaluator)', async () => {
    for (const id of ['ep03', 'ep04']) {
      const lab = await spec(id);
      for (const f of lab.frontends) {
        const candidates = aclCandidates(lab, f, createRng(1));
        for (const acl of f.acls ?? []) {
          const hits = candidates.filter((p) => matches(lab, f, acl.name, p));
          expect(hits.length, `${id} ${f.name}: nothing matches ${acl.name}`).toBeGreaterThan(0);
          expect(hits.length, `${id} ${f.name}: everything matches ${acl.name}`).toBeLessThan(candidates.length);
        }
      }
    }
  });

  it('near misses at each edge: prefix, case, substring, method, ranges', async () => {
    const lab = await spec('ep04');
    const of = (name: string) => aclCandidates(lab, lab.frontends.find((f) => f.name === name)!, createRng(1));
    const paths = new Set(of('path_front').map((p) => p.path));
    // path_beg /static: inside, one character short, not at the start, the other case.
    for (const p of ['/static', '/static/probe.txt', '/stati', '/x/static', '/STATIC', '/static/logo.png']) expect(paths, p).toContain(p);
    const uas = new Set(of('agent_front').map((p) => p.headers['User-Agent']!));
    expect([...uas].some((u) => u.includes('Mobile'))).toBe(true);
    expect([...uas].some((u) => u.includes('mOBILE'))).toBe(true); // -i: a case variant must match too
    expect([...uas].some((u) => u.includes('Mobil') && !/mobile/i.test(u))).toBe(true); // almost the substring
    expect([...uas].some((u) => !/mobil/i.test(u))).toBe(true);
    expect(new Set(of('method_front').map((p) => p.method))).toEqual(new Set(['GET', 'POST']));
    const sources = [...new Set(of('block_front').map((p) => p.source))];
    expect(sources.map((s) => (s.kind === 'inside' || s.kind === 'near' ? `${s.kind} ${formatCidr(s.block)}` : s.kind))).toEqual(['inside 192.168.1.128/25', 'near 192.168.0.0/24', 'outside']);
    expect(sources.map(representativeAddress)).toEqual(['192.168.1.254', '192.168.0.254', '127.0.0.1']);
    // /admin × inside/outside 192.168.10.0/24: every combination of the two ACLs.
    const admin = of('admin_front');
    const kinds = new Set(admin.map((p) => `${p.path.startsWith('/admin') ? 'admin' : 'other'}:${p.source.kind}`));
    expect(kinds).toEqual(new Set(['admin:inside', 'admin:near', 'admin:outside', 'other:inside', 'other:near', 'other:outside']));
  });

  it('-m found on another header: sent and not sent', async () => {
    const lab = await spec('ep04');
    const f: FrontendSpec = { ...lab.frontends[0]!, acls: [{ name: 'has_key', criterion: 'req.hdr(X-Api-Key) -m found' }], rules: ['use_backend post_backend if has_key'] };
    const keys = aclCandidates(lab, f, createRng(1)).map((p) => p.headers['X-Api-Key']);
    expect(keys).toContain(undefined);
    expect(keys).toContain('present');
  });

  it('too many combinations: a seeded sample that keeps every single value', async () => {
    const lab = await spec('ep04');
    const many: FrontendSpec = {
      ...lab.frontends[0]!,
      acls: ['A', 'B', 'C', 'D'].map((h) => ({ name: `h${h}`, criterion: `req.hdr(X-${h}) -m sub v${h}` })),
      rules: ['use_backend post_backend if hA hB or hC !hD'],
    };
    const all = aclCandidates(lab, many, createRng(1));
    const sample = sampleProbes(all, 50, createRng(2));
    expect(all.length).toBeGreaterThan(50);
    expect(sample.length).toBe(50);
    const values = (ps: AclProbe[]) => new Set(ps.flatMap((p) => [`p:${p.path}`, ...Object.entries(p.headers).map(([h, v]) => `${h}:${v}`)]));
    expect(values(sample)).toEqual(values(all));
    expect(sampleProbes(all, 50, createRng(2))).toEqual(sample);
  });
});
