/** Loopback fixtures for the proxy's integration tests: named backends, HAProxy, raw clients. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from '../helpers/ports.js';
import { HAPROXY_BIN } from '../helpers/require-tool.js';

export { reservePort } from '../helpers/ports.js';

export interface NamedBackends {
  ports: Record<string, number>;
  /** Connections currently open to all these backends. */
  openConnections(): number;
  /** Connections ever accepted by all these backends. */
  acceptedConnections(): number;
  close(): Promise<void>;
}

/** One HTTP server per name, answering `<name> <method> <url>` plus the X-Forwarded-For it saw. */
export async function startNamedBackends(
  names: readonly string[],
  handler?: (name: string, req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): Promise<NamedBackends> {
  const servers: http.Server[] = [];
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const ports: Record<string, number> = {};
  for (const name of names) {
    const server = http.createServer((req, res) => {
      if (handler?.(name, req, res)) return;
      req.resume();
      req.on('end', () => {
        res.setHeader('x-backend', name);
        res.end(`${name} ${req.method} ${req.url} xff=${req.headers['x-forwarded-for'] ?? '-'}`);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s: net.Socket) => {
      accepted++;
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports[name] = (server.address() as net.AddressInfo).port;
    servers.push(server);
  }
  return {
    ports,
    openConnections: () => sockets.size,
    acceptedConnections: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

export interface HaproxyProcess {
  stop(): Promise<void>;
  output(): string;
}

/** Runs `haproxy -f cfg -db` and waits until `port` accepts connections. */
export async function startHaproxy(cfg: string, port: number): Promise<HaproxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'haplab-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child: ChildProcess = spawn(HAPROXY_BIN, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Bounded only in case it never binds; it says so at once when it exits instead.
  await waitForPort(port, 30_000, () => child.exitCode !== null, () => output);
  return {
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Probe {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  source?: string;
  body?: string;
}

export interface ProbeResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request on a fresh connection (no keep-alive), from `source` when given. */
export function send(port: number, probe: Probe, agent: http.Agent | false = false): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: probe.method ?? 'GET',
        path: probe.path,
        headers: probe.headers,
        localAddress: probe.source,
        agent,
      },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(probe.body);
  });
}

/** Sends raw bytes and collects everything until the server closes (or `ms` pass). */
export function rawExchange(port: number, bytes: string, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, ms);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.write(bytes);
  });
}

/**
 * Polls `check` until it holds or `ms` pass; returns whether it held. The bound is only
 * for a failure to end: passing returns as soon as the event happens, so it is generous
 * (a loaded 2-core machine stretches what takes milliseconds idle).
 */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
