/**
 * DNS resolution next to HAProxy 2.6 on the same config, as a swarm lab uses it: a
 * `resolvers` section pointing at a DNS server the test runs (dns-test-server.ts) and
 * `server-template srv 3 app.test:PORT resolvers test init-addr none` (with `resolve-prefer
 * ipv4`; in a second backend without it: AAAA asked first, then A; in a third without
 * init-addr: its default, last,libc,none). The answer for
 * app.test changes mid-run — two addresses, then one removed and one added, then a third,
 * then a single one — and after both proxies have re-resolved, each server holds the same
 * address (or is in MAINT (resolution)) in both, the stats page says so alike, and the
 * same requests are served by the same backends in the same order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import { startDnsServer, type TestDnsServer } from './dns-test-server.js';
import { eventually, reservePort, send, startHaproxy, type HaproxyProcess } from './proxy-helpers.js';

const APP_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
/**
 * HAProxy offers free addresses in the order of their records' XXH32 keys (.2 < .3 < .5 <
 * .4), not in the answer's order: answers listed otherwise show which order a proxy uses.
 */
const FIRST_ANSWER = ['127.0.0.3', '127.0.0.2'];
const LAST_ANSWER = ['127.0.0.4', '127.0.0.5', '127.0.0.2'];
/** HAProxy's SRV_ADMF_RMAINT bit in `show servers state`'s srv_admin_state. */
const RMAINT = 0x20;

interface ServerView {
  name: string;
  /** The address it sends to; absent while in MAINT (resolution). */
  address?: string;
  maint: boolean;
}

/** One HTTP server per loopback address, all on one port, each answering its own address. */
async function startAddressApps(addresses: readonly string[]): Promise<{ port: number; close(): Promise<void> }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: http.Server[] = [];
    let port = 0;
    try {
      for (const address of addresses) {
        const server = http.createServer((req, res) => {
          req.resume();
          req.on('end', () => res.end(address));
        });
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => resolve());
        });
        port = (server.address() as net.AddressInfo).port;
      }
      return { port, close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
    } catch {
      // The port the first address got is taken on another one: try another.
      await Promise.all(servers.filter((s) => s.listening).map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  }
  throw new Error('no port free on every app address');
}

function ask(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let out = '';
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.end(`${command}\n`);
  });
}

/** `show servers state b`: each server's address and whether it is in MAINT (resolution). */
async function haproxyView(socket: string, backend: string): Promise<ServerView[]> {
  const lines = (await ask(socket, `show servers state ${backend}`)).split('\n');
  const header = lines.find((l) => l.startsWith('# be_id'))!.slice(2).split(' ');
  const col = (row: string[], name: string) => row[header.indexOf(name)]!;
  return lines
    .filter((l) => /^\d/.test(l) && l.includes(' '))
    .map((l) => l.split(' '))
    .map((row) => {
      const maint = (Number(col(row, 'srv_admin_state')) & RMAINT) !== 0;
      return { name: col(row, 'srv_name'), maint, ...(maint ? {} : { address: col(row, 'srv_addr') }) };
    });
}

function ourView(proxy: RunningProxy, backend: string): ServerView[] {
  return proxy.backends.get(backend)!.servers.map((s) => ({ name: s.name, maint: s.resolutionMaint, ...(s.resolutionMaint ? {} : { address: s.address }) }));
}

/** Every answered address is held by one server, the rest are in MAINT (resolution). */
function settled(view: ServerView[], answer: readonly string[]): boolean {
  const held = view.filter((s) => !s.maint).map((s) => s.address!);
  return held.length === Math.min(answer.length, view.length) && held.every((a) => answer.includes(a)) && new Set(held).size === held.length;
}

/** The stats page's status per server of backend `b`. */
async function statuses(port: number): Promise<Record<string, string>> {
  const csv = (await send(port, { path: '/stats;csv' })).body.trim().split('\n');
  const header = csv[0]!.replace(/^# /, '').split(',');
  const result: Record<string, string> = {};
  for (const row of csv.slice(1).map((l) => l.split(','))) {
    if (row[header.indexOf('pxname')] === 'b' && row[header.indexOf('svname')]!.startsWith('srv')) {
      result[row[header.indexOf('svname')]!] = row[header.indexOf('status')]!;
    }
  }
  return result;
}

describeWithTool(HAPROXY, 'DNS resolution parity with HAProxy 2.6 (resolvers + server-template)', () => {
  let dns: TestDnsServer;
  let apps: { port: number; close(): Promise<void> };
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  let dir: string;
  const port = { haproxy: 0, ts: 0 };

  const config = (p: number, socket: string) => `
global
    nbthread 1
    stats socket ${socket} level admin
resolvers test
    nameserver dns1 127.0.0.1:${dns.port}
    accepted_payload_size 1232
    resolve_retries 3
    timeout resolve 100ms
    timeout retry 200ms
    hold valid 100ms
    hold obsolete 0s
    hold other 30s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${p}
    stats uri /stats
    default_backend b
    use_backend b6 if { path_beg /six }
    use_backend bdef if { path_beg /def }
backend b
    balance roundrobin
    server-template srv 3 app.test:${apps.port} resolvers test resolve-prefer ipv4 init-addr none
# HAProxy's default preference: AAAA first, answered empty here, then A at once.
backend b6
    balance roundrobin
    server-template srv 2 app.test:${apps.port} resolvers test init-addr none
# No init-addr: the default last,libc,none (libc cannot resolve app.test), then DNS.
backend bdef
    balance roundrobin
    server-template srv 2 app.test:${apps.port} resolvers test resolve-prefer ipv4
`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'haplab-resolvers-'));
    dns = await startDnsServer('app.test', FIRST_ANSWER);
    apps = await startAddressApps(APP_ADDRESSES);
    port.haproxy = await reservePort();
    port.ts = await reservePort();
    haproxy = await startHaproxy(config(port.haproxy, join(dir, 'haproxy.sock')), port.haproxy);
    ours = await startProxy(parseConfig(config(port.ts, join(dir, 'ours.sock'))));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await apps?.close();
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until both proxies took `answer` in `backend`, then compares who holds what and who serves. */
  async function compare(backend: string, answer: readonly string[], path: string): Promise<string[]> {
    const ourTook = await eventually(() => settled(ourView(ours, backend), answer), 10_000);
    expect(ourTook, `haplab's proxy never took ${answer.join(', ')} in ${backend}: ${JSON.stringify(ourView(ours, backend))}`).toBe(true);
    let theirs: ServerView[] = [];
    const deadline = Date.now() + 10_000;
    while (!settled((theirs = await haproxyView(join(dir, 'haproxy.sock'), backend)), answer) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(settled(theirs, answer), `HAProxy never took ${answer.join(', ')} in ${backend}: ${JSON.stringify(theirs)}\n${haproxy.output()}`).toBe(true);
    expect(ourView(ours, backend)).toEqual(theirs);
    const served: Record<'haproxy' | 'ts', string[]> = { haproxy: [], ts: [] };
    for (const proxy of ['haproxy', 'ts'] as const) {
      for (let i = 0; i < 9; i++) served[proxy].push((await send(port[proxy], { path })).body);
    }
    expect(served.ts).toEqual(served.haproxy);
    return served.ts;
  }

  /** Sets the answer and compares both backends and the stats page; returns who served b. */
  async function phase(answer: readonly string[]): Promise<string[]> {
    dns.setAddresses(answer);
    const served = await compare('b', answer, '/');
    await compare('b6', answer, '/six');
    await compare('bdef', answer, '/def');
    expect(await statuses(port.ts)).toEqual(await statuses(port.haproxy));
    return served;
  }

  it('fills two of three slots from the first answer, the third in MAINT (resolution)', async () => {
    const served = await phase(FIRST_ANSWER);
    expect(new Set(served)).toEqual(new Set(FIRST_ANSWER));
    expect(Object.values(await statuses(port.ts)).filter((s) => s === 'MAINT (resolution)')).toHaveLength(1);
  });

  it('moves the server whose address went to the new one, the others untouched', async () => {
    const before = ourView(ours, 'b');
    const served = await phase([APP_ADDRESSES[1]!, APP_ADDRESSES[2]!]);
    expect(new Set(served)).toEqual(new Set([APP_ADDRESSES[1], APP_ADDRESSES[2]]));
    const kept = before.find((s) => s.address === APP_ADDRESSES[1])!;
    expect(ourView(ours, 'b').find((s) => s.name === kept.name)!.address).toBe(APP_ADDRESSES[1]);
  });

  it('brings the server in MAINT back with a third address', async () => {
    const served = await phase(APP_ADDRESSES.slice(1, 4));
    expect(new Set(served)).toEqual(new Set(APP_ADDRESSES.slice(1, 4)));
    expect(Object.values(await statuses(port.ts))).not.toContain('MAINT (resolution)');
  });

  it('puts the servers whose addresses went away into MAINT (resolution)', async () => {
    const served = await phase([APP_ADDRESSES[3]!]);
    expect(new Set(served)).toEqual(new Set([APP_ADDRESSES[3]]));
    expect(Object.values(await statuses(port.ts)).filter((s) => s === 'MAINT (resolution)')).toHaveLength(2);
  });

  it('hands several free addresses to the servers in MAINT in the order HAProxy does', async () => {
    const served = await phase(LAST_ANSWER);
    expect(new Set(served)).toEqual(new Set(LAST_ANSWER));
  });
});
