/**
 * The Node replicas stand in for the Flask apps where Flask does not import, so they must
 * answer alike: for every app of every episode, the same requests (each route with its
 * methods, a method it refuses, HEAD, OPTIONS, static files, unknown paths) go to the real
 * Flask app and to its replica, and status, body, Content-Type, Allow and X-Served-By
 * must agree.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLab } from '../../src/render/lab.js';
import { catalogueIds, loadEpisode } from '../../src/lab-schema/catalogue.js';
import type { AppSpec } from '../../src/lab-schema/types.js';
import { createReplicaServer, flaskJson } from '../../src/runtime/local/replica.js';
import { reservePort } from '../helpers/ports.js';
import { FLASK, WAITRESS, itWithTool } from '../helpers/require-tool.js';

const PYTHON = '/usr/bin/python3';
const root = mkdtempSync(join(tmpdir(), 'haplab-replica-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
  type?: string;
  allow?: string;
  servedBy?: string;
}

function ask(port: number, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        const allow = res.headers.allow?.split(/,\s*/).sort().join(', ');
        resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'], allow, servedBy: res.headers['x-served-by'] as string | undefined });
      });
    });
    req.on('error', reject);
    req.end(method === 'POST' || method === 'PUT' ? 'a=1' : undefined);
  });
}

interface Probe {
  method: string;
  path: string;
  /** Reaches a view: Flask sleeps delaySeconds first. */
  sleeps: boolean;
}

/** Concrete requests for an app: each route, each of its methods, one it refuses, and misses. */
function requestsFor(app: AppSpec): Probe[] {
  const out: Probe[] = ['/nope/none', '/static/missing.css', '/static/../app.py'].map((path) => ({ method: 'GET', path, sleeps: false }));
  for (const route of app.routes) {
    const paths = route.staticDir !== undefined
      ? Object.keys(app.files ?? {}).map((f) => `/static/${f.slice(`${route.staticDir}/`.length)}`)
      : [route.path.replace(/<path:[^>]+>/, 'a/b.txt').replace(/<[^>]+>/, 'x')];
    const methods = route.methods ?? ['GET'];
    const refused = ['GET', 'POST', 'PUT'].find((m) => !methods.includes(m))!;
    for (const path of paths) {
      for (const method of methods) out.push({ method, path, sleeps: true });
      out.push({ method: refused, path, sleeps: false }, { method: 'OPTIONS', path, sleeps: false });
      if (methods.includes('GET')) out.push({ method: 'HEAD', path, sleeps: true });
    }
  }
  return out;
}

/** Flask on a reserved port (it binds what HAPLAB_PORT says); ready when it answers. */
async function startFlask(dir: string, app: AppSpec): Promise<number> {
  const port = await reservePort();
  const child = spawn(PYTHON, [join(dir, 'apps', app.name, 'app.py')], { env: { ...process.env, HAPLAB_HOST: '127.0.0.1', HAPLAB_PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Waits for the event (it answers, or it exits); the bound only ends a failure to start.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await ask(port, 'GET', '/haplab-ready').then(() => true, () => false)) return port;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Flask for ${app.name} did not start on ${port}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ids = await catalogueIds();

describe.each(ids)('%s', (id) => {
  itWithTool(FLASK, 'every app answers like its Flask original', async () => {
    const spec = await loadEpisode(id);
    const dir = join(root, id);
    await writeLab(spec, dir);
    for (const app of spec.apps) {
      const flaskPort = await startFlask(dir, app);
      const replica = createReplicaServer(app, join(dir, 'apps', app.name));
      await new Promise<void>((resolve) => replica.listen(0, '127.0.0.1', resolve));
      const replicaPort = (replica.address() as AddressInfo).port;
      try {
        // ep06's slow apps sleep 5 s in every view: only their misses are compared here
        // (the replica's delay has its own test below).
        for (const { method, path } of requestsFor(app).filter((r) => !(app.delaySeconds && r.sleeps))) {
          const [flask, ours] = await Promise.all([ask(flaskPort, method, path), ask(replicaPort, method, path)]);
          expect({ app: app.name, method, path, ...ours }).toEqual({ app: app.name, method, path, ...flask });
        }
      } finally {
        replica.close();
      }
    }
  });
});

/** Two requests written on one socket, one after the other: the connections each rode (undefined: closed). */
async function twoOnOneSocket(port: number): Promise<{ first: string; second?: string; closedAfterFirst: boolean }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () => new Promise<{ port: number; closed: boolean }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ port: req.socket!.localPort!, closed: res.headers.connection === 'close' }));
    });
    req.on('error', reject);
    req.end();
  });
  try {
    const a = await once();
    const b = await once();
    return { first: String(a.port), second: String(b.port), closedAfterFirst: a.closed };
  } finally {
    agent.destroy();
  }
}

describe('keep-alive', () => {
  itWithTool([FLASK, WAITRESS], 'Flask under waitress and the replica both answer a second request on the same connection', async () => {
    const spec = await loadEpisode('ep02');
    const dir = join(root, 'keepalive');
    await writeLab(spec, dir);
    const app = spec.apps[0]!;
    const replica = createReplicaServer(app, join(dir, 'apps', app.name));
    await new Promise<void>((resolve) => replica.listen(0, '127.0.0.1', resolve));
    try {
      for (const port of [await startFlask(dir, app), (replica.address() as AddressInfo).port]) {
        const seen = await twoOnOneSocket(port);
        expect(seen.first).toMatch(/^\d+$/);
        expect(seen.closedAfterFirst, `port ${port}: Connection: close`).toBe(false);
        expect(seen.second, `port ${port}: a new connection for the second request`).toBe(seen.first);
      }
    } finally {
      replica.close();
      replica.closeAllConnections();
    }
  });
});

describe('replica details', () => {
  it('serializes JSON as Flask does: sorted keys, compact, ASCII, newline', () => {
    expect(flaskJson({ b: 1, a: { d: [1, 'é'], c: null } })).toBe('{"a":{"c":null,"d":[1,"\\u00e9"]},"b":1}\n');
  });

  it('sleeps delaySeconds before answering a route, not a miss', async () => {
    const app: AppSpec = { name: 'slow', port: 0, delaySeconds: 0.3, routes: [{ path: '/', text: 'late' }] };
    const replica = createReplicaServer(app, root);
    await new Promise<void>((resolve) => replica.listen(0, '127.0.0.1', resolve));
    const port = (replica.address() as AddressInfo).port;
    try {
      // Sent together: the miss must be answered before the route, whose answer waits
      // 0.3 s (an order of events, which no load on the machine can turn around).
      const order: string[] = [];
      const started = performance.now();
      const route = ask(port, 'GET', '/').then((a) => (order.push('route'), { ...a, ms: performance.now() - started }));
      const miss = ask(port, 'GET', '/missing').then((a) => (order.push('miss'), a));
      const [late, missing] = await Promise.all([route, miss]);
      expect(late.body).toBe('late');
      expect(late.ms).toBeGreaterThanOrEqual(290);
      expect(missing.status).toBe(404);
      expect(order).toEqual(['miss', 'route']);
    } finally {
      replica.close();
    }
  });
});
