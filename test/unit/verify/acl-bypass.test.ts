/**
 * The ACL bypass warnings: a path deny rule that //, percent-encoding or case would slip past is
 * named with its ACL, according to its polarity and match, and nothing else is warned of.
 */
import { describe, expect, it } from 'vitest';
import { routeRequest } from '../../../src/proxy/acl/evaluate.js';
import { parseConfig } from '../../../src/proxy/config/index.js';
import type { FrontendSpec } from '../../../src/lab-schema/types.js';
import { aclBypassWarnings } from '../../../src/verify/acl-bypass.js';
import { spec } from './fakes.js';

function frontend(acls: Array<[string, string]>, rules: string[]): FrontendSpec {
  return {
    name: 'fe',
    mode: 'http',
    bind: 80,
    hostPort: 8080,
    acls: acls.map(([name, criterion]) => ({ name, criterion })),
    rules,
    defaultBackend: 'be',
  };
}

/** What haplab's proxy (HAProxy's twin, see proxy-path-tricks.test.ts) does with `target` under `fe`'s rules. */
function decide(fe: FrontendSpec, target: string, source = '203.0.113.1'): string {
  const cfg = [
    'frontend fe',
    '    mode http',
    '    bind 127.0.0.1:8080',
    ...(fe.acls ?? []).map((a) => `    acl ${a.name} ${a.criterion}`),
    ...(fe.rules ?? []).map((r) => `    ${r}`),
    '    default_backend be',
    'backend be',
    '    mode http',
    '    server s 127.0.0.1:1',
  ].join('\n');
  const section = parseConfig(cfg).frontends[0]!;
  const d = routeRequest(section, { method: 'GET', uri: target, headers: ['Host', 'x'], sourceAddress: source });
  return d.action === 'deny' ? `deny ${d.status}` : d.action;
}

/** The request target a warning quotes ('…' or the absolute form's path). */
function quoted(warning: string): string {
  const absolute = /'GET http:\/\/HOST(\S+)'/.exec(warning);
  if (absolute) return `http://x${absolute[1]}`;
  return /'([^']+)'/.exec(warning.slice(warning.indexOf(')')))![1]!;
}

describe('ACL bypass warnings', () => {
  it("warns of //admin, %61 and case for ep04's /admin deny rule, naming the ACL", async () => {
    const lab = await spec('ep04');
    const admin = lab.frontends.find((f) => f.name === 'admin_front')!;
    const warnings = aclBypassWarnings(admin);
    expect(warnings).toHaveLength(3);
    for (const w of warnings) expect(w).toMatch(/^ACL 'is_admin_path' \(path_beg \/admin\) /);
    expect(warnings[0]).toContain("'//admin'");
    expect(warnings[1]).toContain("'/%61dmin'");
    expect(warnings[2]).toMatch(/no -i, so '\/ADMIN'/);
    // and each trick really gets past the rule that stops /admin
    expect(decide(admin, '/admin')).toBe('deny 403');
    for (const w of warnings) expect(decide(admin, quoted(w)), w).toBe('backend');
  });

  it('says nothing of the other ep04 frontends: routing and src ACLs, no path deny', async () => {
    const lab = await spec('ep04');
    for (const fe of lab.frontends.filter((f) => f.name !== 'admin_front')) expect(aclBypassWarnings(fe), fe.name).toEqual([]);
  });

  it('drops the case warning with -i, keeps the encodings', () => {
    const fe = frontend([['adm', 'path_beg -i /admin']], ['http-request deny if adm']);
    const warnings = aclBypassWarnings(fe);
    expect(warnings.map(quoted)).toEqual(['//admin', '/%61dmin']);
    for (const w of warnings) expect(decide(fe, quoted(w)), w).toBe('backend');
  });

  it('reads polarity: if A and unless !A deny on A; if !A and unless A do not', () => {
    const acls: Array<[string, string]> = [['adm', 'path_beg /admin']];
    expect(aclBypassWarnings(frontend(acls, ['http-request deny if adm']))).toHaveLength(3);
    expect(aclBypassWarnings(frontend(acls, ['http-request deny deny_status 404 unless !adm']))).toHaveLength(3);
    expect(aclBypassWarnings(frontend(acls, ['http-request deny if !adm']))).toEqual([]);
    expect(aclBypassWarnings(frontend(acls, ['http-request deny unless adm']))).toEqual([]);
    expect(aclBypassWarnings(frontend(acls, ['use_backend be if adm']))).toEqual([]);
  });

  it('fits the trick to the match: no double slash for path_end, the absolute form for url_beg', () => {
    const end = aclBypassWarnings(frontend([['bak', 'path_end .bak']], ['http-request deny if bak']));
    expect(end).toEqual([expect.stringContaining("a path ending in '%2ebak'"), expect.stringContaining("a path ending in '.BAK'")]);
    const url = aclBypassWarnings(frontend([['adm', 'url_beg /admin']], ['http-request deny if adm']));
    expect(url.some((w) => w.includes("'GET http://HOST/admin'"))).toBe(true);
    const fe = frontend([['adm', 'url_beg /admin']], ['http-request deny if adm']);
    expect(decide(fe, 'http://x/admin')).toBe('backend');
    const reg = aclBypassWarnings(frontend([['adm', 'path_reg ^/admin(/|$)']], ['http-request deny if adm']));
    expect(reg[0]).toContain("'//admin'");
    const exact = aclBypassWarnings(frontend([['adm', 'path -m beg /admin']], ['http-request deny if adm']));
    expect(exact).toHaveLength(3);
  });

  it('ignores fetches no path trick changes', () => {
    const rules = ['http-request deny if a'];
    expect(aclBypassWarnings(frontend([['a', 'src 10.0.0.0/8']], rules))).toEqual([]);
    expect(aclBypassWarnings(frontend([['a', 'method POST']], rules))).toEqual([]);
    expect(aclBypassWarnings(frontend([['a', 'path -m found']], rules))).toEqual([]);
    expect(aclBypassWarnings(frontend([['a', 'path_len 3:']], rules))).toEqual([]);
  });

  it('writes one sentence per warning', async () => {
    const lab = await spec('ep04');
    const warnings = [
      ...aclBypassWarnings(lab.frontends.find((f) => f.name === 'admin_front')!),
      ...aclBypassWarnings(frontend([['adm', 'url_beg /admin']], ['http-request deny if adm'])),
    ];
    for (const w of warnings) {
      expect(w).toMatch(/^ACL '[^']+' \(.+\) .+\.$/);
      expect(w).not.toMatch(/\n|\.\s+[A-Z]/);
    }
  });
});
