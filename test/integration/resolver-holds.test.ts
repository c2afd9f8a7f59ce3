/**
 * haplab's proxy keeps servers whose name stops resolving for the status's `hold`, counted
 * from the last valid answer, then puts them in MAINT (resolution) — a nameserver gone
 * silent (after `resolve_retries` queries `timeout retry` apart: hold timeout) or answering
 * NXDOMAIN (hold nx) — and brings them back as soon as the name resolves again. Timings are
 * only bounded below by the DNS server's own record of its last answer, so a loaded
 * machine can only make the MAINT later, never fail the lower bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { startDnsServer, type DnsMode, type TestDnsServer } from './dns-test-server.js';
import { eventually, reservePort } from './proxy-helpers.js';

const HOLD = { timeout: 800, nx: 500 };

describe('resolution failures and their holds (haplab proxy)', () => {
  let dns: TestDnsServer;
  let ours: RunningProxy;

  beforeAll(async () => {
    dns = await startDnsServer('app.test', ['127.0.0.2', '127.0.0.3']);
    const port = await reservePort();
    ours = await startProxy(
      parseConfig(`
resolvers test
    nameserver dns1 127.0.0.1:${dns.port}
    timeout resolve 100ms
    timeout retry 100ms
    resolve_retries 2
    hold timeout ${HOLD.timeout}ms
    hold nx ${HOLD.nx}ms
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    server-template srv 2 app.test:80 resolvers test resolve-prefer ipv4 init-addr none
`),
    );
  });

  afterAll(async () => {
    await ours?.close();
    await dns?.close();
  });

  const servers = () => ours.backends.get('b')!.servers;
  const allUp = () => servers().every((s) => s.up && !s.resolutionMaint);
  const allMaint = () => servers().every((s) => !s.up && s.resolutionMaint);

  async function failAndRecover(mode: DnsMode, hold: number): Promise<void> {
    expect(await eventually(allUp)).toBe(true);
    dns.setMode(mode);
    expect(await eventually(allMaint, hold + 10_000)).toBe(true);
    const maintAt = performance.now();
    // The last valid answer went out at lastAnswerAt(); the proxy heard it no earlier.
    expect(maintAt - dns.lastAnswerAt()).toBeGreaterThanOrEqual(hold);
    dns.setMode('answer');
    expect(await eventually(allUp)).toBe(true);
    expect(servers().map((s) => s.address).sort()).toEqual(['127.0.0.2', '127.0.0.3']);
  }

  it('holds a silent nameserver for hold timeout, then MAINT; back on the next answer', async () => {
    await failAndRecover('silent', HOLD.timeout);
  });

  it('holds NXDOMAIN for hold nx, then MAINT; back on the next answer', async () => {
    await failAndRecover('nx', HOLD.nx);
  });
});
