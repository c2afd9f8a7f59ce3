/**
 * Starting what gets measured: the backends, and each proxy as its own process on its
 * own port, all in front of the same backends. A proxy that cannot start is recorded
 * as unavailable with the reason, and the run goes on without it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { TargetId } from './args.js';
import { proxyCfg, type Mode } from './configs.js';
import { freePort, start, waitForPort, type Child } from './procs.js';

export const HAPROXY_BIN = '/usr/sbin/haproxy';

export interface Paths {
  root: string;
  /** dist/bench: compiled peers and micro-benchmark. */
  benchDist: string;
  haplabMain: string;
  haplabCli: string;
  tmp: string;
}

export interface Target {
  id: TargetId;
  label: string;
  mode: Mode;
  port: number;
  child?: Child;
  /** Set when the target could not be measured. */
  unavailable?: string;
  /** Distinct backends seen over three fresh connections (round-robin sanity). */
  sanity?: string;
}

export const LABELS: Record<TargetId, string> = {
  haproxy: 'HAProxy 2.6',
  haplab: 'haplab (TS)',
  plain: 'plain Node',
  'http-proxy': 'node-http-proxy',
  direct: 'direct (1 backend)',
};

export async function startBackends(paths: Paths, count: number): Promise<{ ports: number[]; children: Child[] }> {
  const ports: number[] = [];
  const children: Child[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const child = start(`backend s${i + 1}`, process.execPath, [join(paths.benchDist, 'peers/backend.js'), '--port', String(port), '--name', `s${i + 1}`]);
    ports.push(port);
    children.push(child);
  }
  await Promise.all(ports.map((p, i) => waitForPort(p, children[i])));
  return { ports, children };
}

function commandFor(id: TargetId, mode: Mode, port: number, backendPorts: number[], paths: Paths, haplabNodeArgs: string[]): { cmd: string; args: string[] } | string {
  const backends = backendPorts.map((p) => `127.0.0.1:${p}`).join(',');
  const peer = (file: string) => ({ cmd: process.execPath, args: [join(paths.benchDist, 'peers', file), '--port', String(port), '--backends', backends] });
  switch (id) {
    case 'haproxy': {
      if (!existsSync(HAPROXY_BIN)) return `${HAPROXY_BIN} not found (apt-get install haproxy)`;
      const cfg = join(paths.tmp, `haproxy-${mode}.cfg`);
      writeFileSync(cfg, proxyCfg({ mode, port, backendPorts, forHaproxy: true }));
      return { cmd: HAPROXY_BIN, args: ['-db', '-f', cfg] };
    }
    case 'haplab': {
      if (!existsSync(paths.haplabMain)) return 'not available: dist/src/proxy/main.js is not built yet';
      const cfg = join(paths.tmp, `haplab-${mode}.cfg`);
      writeFileSync(cfg, proxyCfg({ mode, port, backendPorts, forHaproxy: false }));
      return { cmd: process.execPath, args: [...haplabNodeArgs, paths.haplabMain, '-f', cfg] };
    }
    case 'plain':
      return peer(mode === 'tcp' ? 'tcp-pipe-peer.js' : 'plain-proxy.js');
    case 'http-proxy':
      return peer('http-proxy-peer.js');
    case 'direct':
      return 'direct has no process';
  }
}

export async function startTarget(id: TargetId, mode: Mode, backendPorts: number[], paths: Paths, haplabNodeArgs: string[]): Promise<Target> {
  const label = LABELS[id];
  if (id === 'direct') return { id, label, mode, port: backendPorts[0]! };
  const port = await freePort();
  const how = commandFor(id, mode, port, backendPorts, paths, haplabNodeArgs);
  if (typeof how === 'string') return { id, label, mode, port, unavailable: how };
  const child = start(`${id} (${mode})`, how.cmd, how.args);
  try {
    await waitForPort(port, child);
    const seen = await distinctBackends(port, backendPorts.length);
    const sanity = `${seen.size}/${backendPorts.length} backends`;
    if (seen.size === 0) throw new Error('answered no request with a backend body');
    return { id, label, mode, port, child, sanity };
  } catch (err) {
    return { id, label, mode, port, child, unavailable: `failed to start: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** One GET on a fresh connection; the body, or '' on a non-200 answer. */
function getText(port: number, path: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(res.statusCode === 200 ? text : ''));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Sends n requests on fresh connections and returns which backends answered. */
async function distinctBackends(port: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const m = /hello from (s\d+)/.exec(await getText(port, '/'));
    if (m) seen.add(m[1]!);
  }
  return seen;
}

export interface BackendTotals {
  connections: number;
  requests: number;
}

/** Connections and requests the backends have served so far, summed (see peers/backend.ts). */
export async function backendTotals(ports: readonly number[]): Promise<BackendTotals> {
  const all = await Promise.all(ports.map(async (p) => JSON.parse(await getText(p, '/__stats')) as BackendTotals));
  return all.reduce((a, b) => ({ connections: a.connections + b.connections, requests: a.requests + b.requests }), { connections: 0, requests: 0 });
}
