/**
 * ep13's pieces alone: the spec's TLS words (validated, rendered into haproxy.cfg and the
 * Dockerfiles, with a certificate the lab's CA signed), the model's choice of frontends,
 * and its judges on answers that are right and on each way a learner's edit breaks them.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeSpec } from '../../../src/lab-schema/normalize.js';
import { TLS_CA_FILE, TLS_CERT_PATH, TLS_HOST } from '../../../src/lab-schema/types.js';
import { validateSpec } from '../../../src/lab-schema/validate.js';
import { writeLab } from '../../../src/render/lab.js';
import type { ProbeResponse } from '../../../src/runtime/types.js';
import { selectModels } from '../../../src/verify/model-selection.js';
import { httpsRedirectCode, judgeHandshake, judgeHeader, judgeRedirect, setHeaders, tlsTargets } from '../../../src/verify/models/tls.js';
import type { Probe } from '../../../src/verify/models/types.js';
import { spec as rawSpec } from './fakes.js';

const spec = async () => normalizeSpec(await rawSpec('ep13'));
const answer = (over: Partial<ProbeResponse>): ProbeResponse => ({ status: 200, body: '', sentAtMs: 0, doneAtMs: 1, ...over });

describe('ep13 spec and render', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('takes tls on an HTTP frontend only, and the redirect and set-header rules', async () => {
    const raw = await rawSpec('ep13');
    expect(validateSpec(raw)).toEqual([]);
    const onTcp = { ...raw, frontends: raw.frontends.map((f, i) => (i === 1 ? { ...f, mode: 'tcp', rules: [] } : f)) };
    expect(validateSpec(onTcp).map((p) => p.message)).toContainEqual(expect.stringMatching(/TLS is terminated on an HTTP frontend/));
    const notBool = { ...raw, frontends: raw.frontends.map((f, i) => (i === 1 ? { ...f, tls: 'yes' } : f)) };
    expect(validateSpec(notBool).map((p) => p.message)).toContainEqual(expect.stringMatching(/'tls' must be true or false/));
    const badCode = { ...raw, frontends: raw.frontends.map((f, i) => (i === 0 ? { ...f, rules: ['http-request redirect scheme https code 200'] } : f)) };
    expect(validateSpec(badCode).map((p) => p.message)).toContainEqual(expect.stringMatching(/redirect code "200"/));
    const toHttp = { ...raw, frontends: raw.frontends.map((f, i) => (i === 0 ? { ...f, rules: ['http-request redirect scheme http'] } : f)) };
    expect(validateSpec(toHttp).map((p) => p.message)).toContainEqual(expect.stringMatching(/unsupported redirect/));
  });

  it('renders `bind … ssl crt`, copies the certificate into each proxy image, and signs it with the lab CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haplab-tls-render-'));
    dirs.push(dir);
    const lab = join(dir, 'l13');
    await writeLab({ ...(await spec()), proxy: 'both' }, lab);
    const cfg = await readFile(join(lab, 'haproxy', 'haproxy.cfg'), 'utf8');
    expect(cfg).toContain(`    bind *:443 ssl crt ${TLS_CERT_PATH}\n`);
    expect(cfg).toContain('    bind *:80\n');
    for (const service of ['haproxy', 'tsproxy']) {
      expect(await readFile(join(lab, service, 'Dockerfile'), 'utf8')).toContain(`COPY site.pem ${TLS_CERT_PATH}\n`);
    }
    const site = await readFile(join(lab, 'haproxy', 'site.pem'), 'utf8');
    expect(site).toMatch(/-----BEGIN PRIVATE KEY-----/);
    const leaf = new X509Certificate(site);
    const ca = new X509Certificate(await readFile(join(lab, TLS_CA_FILE), 'utf8'));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost(TLS_HOST)).toBe(TLS_HOST);
    expect(await readFile(join(lab, '.gitignore'), 'utf8')).toContain('/*/site.pem');
  });
});

describe('the TLS model', () => {
  it('judges both ep13 frontends, and no ACL or plain balancing model takes them', async () => {
    const ep13 = await spec();
    expect(tlsTargets(ep13).map((f) => f.name)).toEqual(['http_front', 'https_front']);
    expect(selectModels(ep13).models.map((m) => m.name)).toEqual(['tls']);
    expect(httpsRedirectCode(ep13.frontends[0]!)).toBe(302);
    expect(httpsRedirectCode({ ...ep13.frontends[0]!, rules: ['http-request redirect scheme https code 301 unless { ssl_fc }'] })).toBe(301);
    expect(setHeaders(ep13.frontends[1]!)).toEqual([{ name: 'X-Forwarded-Proto', value: 'https' }]);
  });

  const probes: Probe[] = [{ method: 'GET', path: '/r/a?q=a' }, { method: 'GET', path: '/r/b?q=b' }];
  const redirected = (p: Probe) => answer({ status: 302, headers: { location: `https://${TLS_HOST}${p.path}` } });

  it('redirect: passes the proxy\'s own 302 to the same path and query, fails a server\'s answer, another code or a lost query', () => {
    expect(judgeRedirect('r', 302, probes, probes.map(redirected)).pass).toBe(true);
    expect(judgeRedirect('r', 302, probes, [redirected(probes[0]!), answer({ status: 404, servedBy: 'app1' })])).toMatchObject({ pass: false, detail: expect.stringMatching(/answered by app1 \(it reached a server\)/) });
    expect(judgeRedirect('r', 301, probes, probes.map(redirected)).pass).toBe(false);
    expect(judgeRedirect('r', 302, probes, probes.map((p) => answer({ status: 302, headers: { location: `https://${TLS_HOST}${p.path.split('?')[0]}` } }))).pass).toBe(false);
    expect(judgeRedirect('r', 302, [], []).pass).toBe(false);
  });

  it('handshake: passes when the lab CA is needed and enough; fails plain HTTP on the port, or a certificate anyone trusts', () => {
    const good = [answer({ servedBy: 'app1' }), answer({ servedBy: 'app2' })];
    const refused = [answer({ status: 0, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate' })];
    expect(judgeHandshake('h', good, refused).pass).toBe(true);
    const noTls = [answer({ status: 0, error: 'EPROTO: wrong version number' })];
    expect(judgeHandshake('h', noTls, noTls)).toMatchObject({ pass: false, detail: expect.stringMatching(/with the lab's CA: EPROTO/) });
    expect(judgeHandshake('h', good, [answer({ servedBy: 'app1' })])).toMatchObject({ pass: false, detail: expect.stringMatching(/without the lab's CA: HTTP 200/) });
    // Refused for another reason than the certificate: not proof of the certificate.
    expect(judgeHandshake('h', good, [answer({ status: 0, error: 'ECONNREFUSED' })]).pass).toBe(false);
  });

  it('header: passes only when every app saw the value', () => {
    const h = { name: 'X-Forwarded-Proto', value: 'https' };
    expect(judgeHeader('x', h, [answer({ body: 'X-Forwarded-Proto: https' }), answer({ body: 'X-Forwarded-Proto: https\n' })]).pass).toBe(true);
    expect(judgeHeader('x', h, [answer({ body: 'X-Forwarded-Proto: https' }), answer({ body: 'X-Forwarded-Proto: (none)' })]).pass).toBe(false);
    expect(judgeHeader('x', h, []).pass).toBe(false);
  });
});
