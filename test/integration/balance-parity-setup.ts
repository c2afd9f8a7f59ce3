/**
 * The harness of the balance parity tests: one real HAProxy 2.6 serving the scenarios a
 * test file adds (one `listen` section and port each), ten Node servers answering with
 * their name, and the means to send requests, drive the admin socket and ask haplab's
 * balancer the same. The state is per test file (vitest gives each file its own modules).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignServerIds } from '../../src/proxy/balance/ids.js';
import type { Balancer, BalanceSettings, LbServer } from '../../src/proxy/balance/types.js';
import { reservePort } from '../helpers/ports.js';
import { HAPROXY_BIN } from '../helpers/require-tool.js';

/** Tags this run's answers, so a reply from anything else on a reused port shows. */
const RUN = `run${process.pid}x${Date.now().toString(36)}`;
const CONCURRENCY = 8;
const NODE_SERVERS = 10;

export interface SrvSpec {
  weight: number;
  disabled?: boolean;
  backup?: boolean;
  id?: number;
  /** Health-checked against DEAD_PORT, so HAProxy marks it down at run time. */
  checkDown?: boolean;
}

export interface Scenario {
  name: string;
  /** Lines placed in the `listen` section before the servers. */
  lines: string[];
  servers: SrvSpec[];
  settings: BalanceSettings;
  port: number;
}

export const scenarios = new Map<string, Scenario>();
let nodeServers: http.Server[] = [];
let nodePorts: number[] = [];
/**
 * Port 1 (tcpmux) on loopback: nothing listens there and an unprivileged process cannot,
 * so every check is refused. (A port found free and released was handed by the kernel to
 * a later listener often enough that the "dead" server answered its checks.)
 */
const DEAD_PORT = 1;
let haproxy: ChildProcess | undefined;
let workdir = '';
let haproxyLog = '';

export function settings(partial: Partial<BalanceSettings> & Pick<BalanceSettings, 'algorithm'>): BalanceSettings {
  return {
    hashType: { method: 'map-based', fn: 'sdbm', avalanche: false },
    draws: 2,
    ...partial,
  };
}

/** `hash-type consistent` alone means sdbm with avalanche in HAProxy 2.6. */
export const CONSISTENT = { method: 'consistent', fn: 'sdbm', avalanche: true } as const;
export const MAP = { method: 'map-based', fn: 'sdbm', avalanche: false } as const;

export function add(name: string, lines: string[], servers: SrvSpec[], s: BalanceSettings): void {
  scenarios.set(name, { name, lines, servers, settings: s, port: 0 });
}

// With no active up, map-based algorithms size the map by the first backup but fill it
// from every usable backup: here the second backup takes all the traffic.
export const MAP_BACKUPS = [{ weight: 1, disabled: true }, { weight: 2, backup: true }, { weight: 5, backup: true }];

function buildConfig(): string {
  const out = [
    'global',
    '  nbthread 1',
    // Without SO_REUSEPORT a port someone else holds fails our bind instead of
    // silently sharing its connections with another HAProxy.
    '  noreuseport',
    `  stats socket ${join(workdir, 'admin.sock')} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
  ];
  for (const sc of scenarios.values()) {
    out.push(`listen ${sc.name}`, `  bind 127.0.0.1:${sc.port}`, ...sc.lines.map((l) => `  ${l}`));
    sc.servers.forEach((s, i) => {
      const addr = s.checkDown ? `127.0.0.1:${DEAD_PORT}` : `127.0.0.1:${nodePorts[i]}`;
      const opts = [
        `weight ${s.weight}`,
        s.id !== undefined ? `id ${s.id}` : '',
        s.backup ? 'backup' : '',
        s.disabled ? 'disabled' : '',
        s.checkDown ? 'check inter 100 fall 1 rise 1' : '',
      ].filter(Boolean);
      out.push(`  server s${i + 1} ${addr} ${opts.join(' ')}`);
    });
  }
  return out.join('\n') + '\n';
}

/** The LbServer list HAProxy builds from the same section: puid = position unless `id` is set. */
export function lbServers(sc: Scenario): LbServer[] {
  const ids = assignServerIds(sc.servers.map((s) => s.id));
  return sc.servers.map((s, i) => {
    const id = ids[i]!;
    return { id, name: `s${i + 1}`, weight: s.weight, backup: !!s.backup, up: !s.disabled && !s.checkDown, activeConns: 0 };
  });
}

export interface Req {
  path?: string;
  headers?: Record<string, string>;
  localAddress?: string;
}

/** One request on a fresh connection; resolves with the backend server name (sK for nK). */
export function send(port: number, req: Req): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: '127.0.0.1', port, path: req.path ?? '/', headers: req.headers, localAddress: req.localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const m = new RegExp(`^${RUN}:n(\\d+)$`).exec(body);
          resolve(res.statusCode !== 200 ? `HTTP ${res.statusCode}` : m ? `s${m[1]}` : `foreign answer ${JSON.stringify(body)}`);
        });
      },
    );
    r.on('error', reject);
    r.end();
  });
}

async function sendAll(port: number, reqs: Req[]): Promise<string[]> {
  const out = new Array<string>(reqs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < reqs.length) {
      const i = next++;
      out[i] = await send(port, reqs[i]!);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

export function cli(cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(join(workdir, 'admin.sock'));
    let out = '';
    c.on('connect', () => c.end(`${cmd}\n`));
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

/** Polls until `cond` holds; the bound only ends a failure (passing returns at the event). */
export async function waitFor(cond: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await cond().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}\n${haproxyLog}`);
}

/** Sends the requests to HAProxy and asks the balancer; returns the mismatches. */
export async function compare(sc: Scenario, reqs: Req[], b: Balancer, servers: LbServer[]): Promise<string[]> {
  const got = await sendAll(sc.port, reqs);
  const bad: string[] = [];
  reqs.forEach((req, i) => {
    const ctx = {
      sourceAddress: req.localAddress ?? '127.0.0.1',
      uri: req.path ?? '/',
      header: (name: string) => {
        const k = Object.keys(req.headers ?? {}).find((h) => h.toLowerCase() === name.toLowerCase());
        return k === undefined ? undefined : req.headers![k];
      },
    };
    const mine = b.pick(ctx)?.name;
    const theirs = got[i]!;
    if (mine !== theirs) bad.push(`#${i} ${JSON.stringify(req)}: haproxy=${theirs} haplab=${mine}`);
  });
  void servers;
  return bad;
}

export function sourceKeys(count: number): Req[] {
  // Distinct loopback sources spread over 127.0.0.0/8 (all routed to lo on Linux).
  return Array.from({ length: count }, (_, i) => ({ localAddress: `127.${1 + (i % 200)}.${(i * 7) % 256}.${1 + ((i * 13) % 254)}` }));
}

export function uriKeys(count: number): Req[] {
  return Array.from({ length: count }, (_, i) => ({ path: `/static/${i % 17}/img${i}.png?v=${i % 5}` }));
}

/** Starts the Node servers and HAProxy with every scenario added so far (and the probe). */
export async function startParityHaproxy(): Promise<void> {
  // Answers the start-up probe, so that no scenario's state is touched before its test.
  add('probe', ['balance roundrobin'], [{ weight: 1 }], settings({ algorithm: 'roundrobin' }));
  workdir = mkdtempSync(join(tmpdir(), 'haplab-parity-'));
  nodeServers = [];
  for (let i = 1; i <= NODE_SERVERS; i++) {
    const s = http.createServer((_req, res) => {
      res.setHeader('Connection', 'close');
      res.end(`${RUN}:n${i}`);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    nodeServers.push(s);
  }
  nodePorts = nodeServers.map((s) => (s.address() as net.AddressInfo).port);
  // Ports HAProxy binds from the config: reserved, so no other listener is given one.
  for (const sc of scenarios.values()) sc.port = await reservePort();
  const cfg = join(workdir, 'haproxy.cfg');
  writeFileSync(cfg, buildConfig());
  const child = spawn(HAPROXY_BIN, ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy = child;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.stdout!.on('data', (d) => (haproxyLog += d.toString()));
  child.stderr!.on('data', (d) => (haproxyLog += d.toString()));
  const probe = scenarios.get('probe')!;
  await waitFor(async () => exited || /^s\d+$/.test(await send(probe.port, {})), 'haproxy to answer');
  if (exited) throw new Error(`haproxy did not start:\n${haproxyLog}`);
}

export async function stopParityHaproxy(): Promise<void> {
  haproxy?.kill('SIGTERM');
  await Promise.all(nodeServers.map((s) => new Promise((r) => s.close(r))));
  if (workdir) rmSync(workdir, { recursive: true, force: true });
}

/** A server's status column from `show stat` (UP, DOWN, MAINT, ...). */
export async function serverStatus(backend: string, server: string): Promise<string | undefined> {
  const csv = (await cli('show stat')).split('\n');
  const head = csv[0]!.replace(/^# /, '').split(',');
  const col = head.indexOf('status');
  const row = csv.find((l) => l.startsWith(`${backend},${server},`));
  return row?.split(',')[col];
}
