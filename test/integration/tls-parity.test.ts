/**
 * TLS termination parity (ep13's pieces): Debian's real HAProxy 2.6 and haplab's proxy run
 * the same config with a certificate made for the test by src/render/tls/lab-ca.ts (a
 * throwaway CA and a leaf, written to a temporary directory and removed after): a client
 * that trusts the CA completes the handshake, one that does not is refused; plain HTTP is
 * redirected to https with the path and query kept; the app behind the TLS frontend sees
 * plain HTTP with X-Forwarded-Proto: https; a mode tcp frontend reads the ClientHello
 * (inspect-delay, accept if req.ssl_hello_type 1) and routes by req.ssl_sni to one of two
 * TLS servers, passing the TLS through untouched.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { makeLabTls, type LabTls } from '../../src/render/tls/lab-ca.js';
import { reservePort, send, startHaproxy, startNamedBackends, type HaproxyProcess, type NamedBackends } from './proxy-helpers.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';

const NAMES = ['shop.lab.test', 'api.lab.test'];

interface Ports { http: number; https: number; sni: number }

function config(dir: string, p: Ports, web: number, shop: number, api: number): string {
  return `global
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend http_in
    bind 127.0.0.1:${p.http}
    http-request redirect scheme https unless { ssl_fc }
    default_backend web

frontend https_in
    bind 127.0.0.1:${p.https} ssl crt ${join(dir, 'site.pem')}
    http-request redirect scheme https unless { ssl_fc }
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    default_backend web

frontend sni_in
    mode tcp
    bind 127.0.0.1:${p.sni}
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend shop_tls if { req.ssl_sni -i shop.lab.test }
    default_backend api_tls

backend web
    server web1 127.0.0.1:${web}

backend shop_tls
    mode tcp
    server shop1 127.0.0.1:${shop}

backend api_tls
    mode tcp
    server api1 127.0.0.1:${api}
`;
}

/** A TLS server answering one HTTP response that names it. */
function tlsApp(name: string, material: LabTls): Promise<{ port: number; close(): Promise<void> }> {
  const server = https.createServer({ cert: material.sitePem, key: material.sitePem }, (req, res) => res.end(`${name} saw ${req.headers.host ?? '-'}`));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  })));
}

/** GET over TLS: the body, or the handshake's error code. */
function getTls(port: number, servername: string, ca?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/x?y=1', servername, ca: ca ?? [], headers: { host: servername }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
    req.end();
  });
}

describeWithTool(HAPROXY, 'TLS termination, redirect and SNI routing: parity with HAProxy 2.6', () => {
  let dir: string;
  let material: LabTls;
  let web: NamedBackends;
  const apps: { port: number; close(): Promise<void> }[] = [];
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  const ports: Ports[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haplab-tls-'));
    material = await makeLabTls('tls-parity', NAMES);
    await writeFile(join(dir, 'site.pem'), material.sitePem, { mode: 0o600 });
    web = await startNamedBackends(['web'], (_, req, res) => {
      res.setHeader('x-backend', 'web');
      res.end(`web xfp=${String(req.headers['x-forwarded-proto'] ?? '-')}`);
      return true;
    });
    apps.push(await tlsApp('shop', material), await tlsApp('api', material));
    for (let k = 0; k < 2; k++) ports.push({ http: await reservePort(), https: await reservePort(), sni: await reservePort() });
    const cfg = (p: Ports) => config(dir, p, web.ports.web!, apps[0]!.port, apps[1]!.port);
    haproxy = await startHaproxy(cfg(ports[0]!), ports[0]!.sni);
    ours = await startProxy(parseConfig(cfg(ports[1]!)));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await web?.close();
    await Promise.all(apps.map((a) => a.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('redirects plain HTTP to https, keeping the Host, path and query', async () => {
    const answers = await Promise.all(ports.map(async (p) => {
      const r = await send(p.http, { path: '/cart?item=3', headers: { Host: 'shop.lab.test' } });
      return `${r.status} ${String(r.headers.location)}`;
    }));
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]).toBe('302 https://shop.lab.test/cart?item=3');
  });

  it('completes the handshake for a client that trusts the lab CA, and the app sees plain HTTP with X-Forwarded-Proto', async () => {
    const answers = await Promise.all(ports.map((p) => getTls(p.https, 'shop.lab.test', material.caPem)));
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]).toBe('200 web xfp=https');
  });

  it('is refused by a client that does not trust the lab CA', async () => {
    const answers = await Promise.all(ports.map((p) => getTls(p.https, 'shop.lab.test')));
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]).toMatch(/^error (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });

  it('routes TLS by SNI in mode tcp, passing it through to the server that terminates it', async () => {
    for (const [name, app] of [['shop.lab.test', 'shop'], ['api.lab.test', 'api'], ['SHOP.lab.test', 'shop']] as const) {
      const answers = await Promise.all(ports.map((p) => getTls(p.sni, name, material.caPem)));
      expect(answers[1], name).toBe(answers[0]);
      expect(answers[0], name).toBe(`200 ${app} saw ${name}`);
    }
  });

  it('a ClientHello without a server name goes to the default backend', async () => {
    const answers = await Promise.all(ports.map((p) => new Promise<string>((resolve) => {
      // To an IP address Node sends no SNI.
      const req = https.request({ host: '127.0.0.1', port: p.sni, path: '/', ca: material.caPem, checkServerIdentity: () => undefined, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        // The Host header names the proxy's own port: the same for both once taken off.
        res.on('end', () => resolve(`${res.statusCode} ${body.replace(/:\d+$/, '')}`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
      req.end();
    })));
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]).toBe('200 api saw 127.0.0.1');
  });
});
