/**
 * The local runtime end to end, on loopback: for ep09, ep03, ep02 (tcp) and ep04, `up`
 * starts the lab, requests through the proxy reach the apps the config names (X-Served-By),
 * and `down` leaves no process and no held port — once with the real Flask + HAProxy and
 * once with haplab's Node replicas + TypeScript proxy forced.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { writeLab } from '../../src/render/lab.js';
import { loadEpisode } from '../../src/spec/catalogue.js';
import { readLabState } from '../../src/runtime/state.js';
import { createLocalRuntime, UnreachableSubnetError, type LocalRuntimeOptions } from '../../src/runtime/local/index.js';
import { isPortFree } from '../../src/runtime/local/ports.js';
import { findByEnviron, readStat } from '../../src/runtime/local/procfs.js';
import { processAlive } from '../../src/runtime/local/processes.js';
import { ENV_DIR, ENV_REGISTRY, runFileInLab, readRun } from '../../src/runtime/local/run-record.js';
import type { LabInstance, ProbeRequest, ProbeResponse } from '../../src/runtime/types.js';
import type { LabSpec } from '../../src/spec/types.js';
import { inCI, requireTool } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-local-'));
const registryDir = join(root, 'registry');

const haveHaproxy = requireTool('HAProxy', 'haproxy', ['-v']);
const haveFlask = requireTool('Flask', '/usr/bin/python3', ['-c', 'import flask']);
// The replicas and the TypeScript proxy run from dist/ (npm test builds first).
const haveDist = existsSync(new URL('../../dist/src/runtime/local/replica-main.js', import.meta.url))
  && existsSync(new URL('../../dist/src/proxy/main.js', import.meta.url));
if (!haveDist && inCI) throw new Error('dist/ is not built: npm test builds before it runs');

afterAll(async () => {
  await createLocalRuntime({ registryDir }).downAll();
  rmSync(root, { recursive: true, force: true });
});

interface Flavor {
  name: string;
  options: LocalRuntimeOptions;
  available: boolean;
  notes: RegExp[];
}

const flavors: Flavor[] = [
  { name: 'Flask + HAProxy', options: {}, available: haveHaproxy && haveFlask, notes: [/apps: Flask/, /proxy: HAProxy/] },
  {
    name: 'Node replicas + TypeScript proxy',
    options: { preferReplicas: true, preferTsProxy: true },
    available: haveDist,
    notes: [/Node replicas/, /TypeScript proxy plays HAProxy's part/],
  },
];

type Expect = (instance: LabInstance, send: (reqs: Partial<ProbeRequest>[]) => Promise<ProbeResponse[]>) => Promise<void>;

/**
 * The episode's lab, moved up by PORT_SHIFT: on a shared machine the Docker e2e suites
 * publish the catalogue's own ports (8090, 4000, …) and another run of these very tests
 * may be under way, and either would meet these labs' traffic. The shift is random per
 * run and keeps every port below 32768, out of the kernel's ephemeral range. The lab's
 * own ports are exercised by the port-move test.
 */
async function labSpec(id: string): Promise<LabSpec> {
  const spec = await loadEpisode(id);
  return {
    ...spec,
    apps: spec.apps.map((a) => ({ ...a, port: a.port + PORT_SHIFT })),
    frontends: spec.frontends.map((f) => ({ ...f, hostPort: f.hostPort + PORT_SHIFT })),
  };
}
const PORT_SHIFT = 10_000 + 100 * Math.floor(Math.random() * 140);

const served = (rs: ProbeResponse[]) => rs.map((r) => r.servedBy ?? `${r.status}${r.error ? ` ${r.error}` : ''}`);
const count = (xs: (string | undefined)[]) => xs.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x ?? '?']: (acc[x ?? '?'] ?? 0) + 1 }), {});

const episodes: { id: string; check: Expect }[] = [
  {
    id: 'ep09',
    check: async (_i, send) => {
      const rs = await send(Array.from({ length: 12 }, () => ({ frontend: 'http_front', path: '/' })));
      expect(count(served(rs))).toEqual({ app1: 4, app2: 2, app3: 6 });
      expect(rs.find((r) => r.servedBy === 'app2')?.body).toBe('Hello from Flask App 2!');
    },
  },
  {
    id: 'ep03',
    check: async (_i, send) => {
      const [logo, home, data, missing] = await send([
        { frontend: 'http_front', path: '/static/logo.png' },
        { frontend: 'http_front', path: '/' },
        { frontend: 'http_front', path: '/api/data' },
        { frontend: 'http_front', path: '/static/none.css' },
      ]);
      expect([logo!.servedBy, logo!.status, logo!.body]).toEqual(['static-app', 200, "FitGuru logo (a stand-in for the episode's image)\n"]);
      expect([home!.servedBy, home!.body]).toEqual(['dynamic-app', 'Welcome to FitGuru!']);
      expect([data!.servedBy, data!.body]).toEqual(['dynamic-app', '{"data":"Some dynamic data"}\n']);
      expect([missing!.servedBy, missing!.status]).toEqual(['static-app', 404]);
    },
  },
  {
    id: 'ep02',
    check: async (_i, send) => {
      const rs = await send(Array.from({ length: 4 }, () => ({ frontend: 'tcp_front', path: '/', connection: 'tcp' as const })));
      expect(rs.every((r) => r.status === 200 && r.body === 'Hello from Flask over TCP!')).toBe(true);
      expect(count(served(rs))).toEqual({ flask1: 2, flask2: 2 });
    },
  },
  {
    id: 'ep04',
    check: async (instance, send) => {
      const rs = await send([
        { frontend: 'path_front', path: '/static/logo.png' },
        { frontend: 'path_front', path: '/profile' },
        { frontend: 'block_front', path: '/' },
        { frontend: 'method_front', path: '/', method: 'POST', body: 'x=1' },
        { frontend: 'method_front', path: '/' },
        { frontend: 'agent_front', path: '/', headers: { 'User-Agent': 'Mozilla/5.0 (iPhone) Mobile Safari' } },
        { frontend: 'agent_front', path: '/', headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux)' } },
        { frontend: 'admin_front', path: '/admin' },
        { frontend: 'admin_front', path: '/' },
        { frontend: 'submit_front', path: '/submit', method: 'POST', body: 'name=x' },
        { frontend: 'submit_front', path: '/' },
      ]);
      expect(served(rs)).toEqual(['static1', 'dynamic1', 'main', 'post1', 'general1', 'mobile1', 'desktop1', '403', 'admin-web', 'submit', 'main']);
      expect(rs[9]!.body).toBe('Form submitted successfully!');
      expect(instance.notes.join('\n')).toMatch(/192\.168\.0\.0\/20.*skipped/);
    },
  },
];

/** Every process of the lab, from its run record, and the ports it listens on. */
async function processesOf(instance: LabInstance): Promise<{ pids: number[]; ports: number[] }> {
  const run = await readRun(runFileInLab(instance.dir));
  if (!run) throw new Error('no run record');
  return { pids: run.processes.map((p) => p.pid!), ports: run.processes.flatMap((p) => p.listens.map((l) => l.port)) };
}

async function expectGone(pids: number[], ports: number[]): Promise<void> {
  expect(pids.filter(processAlive)).toEqual([]);
  expect(findByEnviron((env) => env.get(ENV_REGISTRY) === registryDir)).toEqual([]);
  const held = (await Promise.all(ports.map(async (p) => ((await isPortFree(p)) ? undefined : p)))).filter((p) => p !== undefined);
  expect(held).toEqual([]);
}

describe.each(flavors)('$name', (flavor) => {
  describe.each(episodes)('$id', ({ id, check }) => {
    it('up → traffic reaches the right apps → down leaves nothing', async ({ skip }) => {
      if (!flavor.available) skip(`${flavor.name} is not available here`);
      const dir = join(root, `${id}-${flavor.options.preferReplicas ? 'replica' : 'real'}`);
      await writeLab(await labSpec(id), dir);
      const runtime = createLocalRuntime({ ...flavor.options, registryDir });
      const instance = await runtime.up(dir);
      try {
        for (const note of flavor.notes) expect(instance.notes.join('\n')).toMatch(note);
        expect(await readLabState(dir)).toMatchObject({ runtime: 'local', lab: instance.lab, phase: 'running' });
        const prober = await runtime.prober(instance);
        const send = (reqs: Partial<ProbeRequest>[]) =>
          prober.send(reqs.map((r) => ({ proxy: 'haproxy', frontend: '', method: 'GET', path: '/', ...r })));
        await check(instance, send);
      } finally {
        const { pids, ports } = await processesOf(instance);
        await runtime.down(dir);
        await expectGone(pids, ports);
      }
      expect(await readLabState(dir)).toBeUndefined();
      expect(await runtime.inspect(dir)).toBeUndefined();
    });
  });
});

describe('lifecycle', () => {
  const options: LocalRuntimeOptions = { preferReplicas: true, preferTsProxy: true, registryDir };
  const dir = join(root, 'ep09-lifecycle');
  let taken: Server | undefined;

  beforeAll(async () => {
    if (!haveDist) return;
    await writeLab(await loadEpisode('ep09'), dir);
  });
  afterAll(() => taken?.close());

  it('moves a taken port, says so, and a second up changes nothing', async ({ skip }) => {
    if (!haveDist) skip('dist/ is not built');
    // Hold the frontend's own port (8090) the way another program would.
    taken = createServer();
    const holding = await new Promise<boolean>((resolve) => {
      taken!.once('error', () => resolve(false));
      taken!.listen(8090, '127.0.0.1', () => resolve(true));
    });
    const runtime = createLocalRuntime(options);
    const first = await runtime.up(dir);
    const endpoint = first.endpoints[0]!;
    expect(endpoint.port).not.toBe(8090);
    if (holding) expect(first.notes.join('\n')).toMatch(`port 8090 is taken, using ${endpoint.port}`);
    const before = await processesOf(first);
    const second = await runtime.up(dir);
    expect(second.endpoints).toEqual(first.endpoints);
    expect((await processesOf(second)).pids).toEqual(before.pids);
    expect((await runtime.list()).map((l) => l.dir)).toContain(first.dir);
    expect(runtime.describe()).toMatch(/^local:/);
  });

  it('stats answer in HAProxy CSV', async ({ skip }) => {
    if (!haveDist) skip('dist/ is not built');
    const instance = await createLocalRuntime(options).up(dir);
    const response = await fetch(instance.stats[0]!.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^# pxname,svname/);
  });

  it('disrupt stops or pauses one app; resume brings it back', async ({ skip }) => {
    if (!haveDist) skip('dist/ is not built');
    const runtime = createLocalRuntime(options);
    const instance = await runtime.up(dir);
    onTestFinished(async () => {
      // down also ends a paused app (SIGTERM alone would wait for a SIGCONT).
      await runtime.disrupt(instance, 'app1', 'pause');
      const { pids, ports } = await processesOf(instance);
      await runtime.down(dir);
      await expectGone(pids, ports);
    });
    const app2 = (await readRun(runFileInLab(dir)))!.processes.find((p) => p.name === 'app2')!;
    const port = app2.listens[0]!.port;

    await runtime.disrupt(instance, 'app2', 'stop');
    expect(processAlive(app2.pid!)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
    expect(await runtime.inspect(dir)).toBeDefined();
    await runtime.resume(instance, 'app2', 'stop');
    const restarted = (await readRun(runFileInLab(dir)))!.processes.find((p) => p.name === 'app2')!;
    expect(restarted.pid).not.toBe(app2.pid);
    expect((await fetch(`http://127.0.0.1:${port}/`)).headers.get('x-served-by')).toBe('app2');

    await runtime.disrupt(instance, 'app2', 'pause');
    expect(readStat(restarted.pid!)?.state).toBe('T');
    await runtime.resume(instance, 'app2', 'pause');
    expect(readStat(restarted.pid!)?.state).not.toBe('T');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('client addresses come from 127.0.0.0/8; another subnet is an UnreachableSubnetError', async ({ skip }) => {
    if (!haveDist) skip('dist/ is not built');
    const runtime = createLocalRuntime(options);
    const instance = await runtime.up(dir);
    onTestFinished(() => runtime.down(dir));
    const prober = await runtime.prober(instance);
    const addresses = await prober.clientAddresses(300);
    expect(new Set(addresses).size).toBe(300);
    expect(addresses.every((a) => a.startsWith('127.'))).toBe(true);
    expect(await prober.clientAddresses(2, '127.9.0.0/16')).toEqual(['127.9.0.1', '127.9.0.2']);
    await expect(prober.clientAddresses(2, '192.168.1.0/24')).rejects.toBeInstanceOf(UnreachableSubnetError);
    // Each request leaves from the address it names (the app logs it; here: it is answered).
    const rs = await prober.send(addresses.slice(0, 3).map((a) => ({ proxy: 'haproxy', frontend: 'http_front', method: 'GET', path: '/', sourceAddress: a })));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('a failing app fails up with its log, and nothing is left running', async ({ skip }) => {
    if (!haveFlask) skip('Flask is not available');
    const broken = join(root, 'ep09-broken');
    await writeLab(await labSpec('ep09'), broken);
    writeFileSync(join(broken, 'apps', 'app3', 'app.py'), 'raise SystemExit("app3 refuses to start")\n');
    const runtime = createLocalRuntime({ registryDir, preferTsProxy: !haveHaproxy });
    await expect(runtime.up(broken)).rejects.toThrow(/Flask for app3 exited while starting[\s\S]*app3 refuses to start/);
    expect(findByEnviron((env) => env.get(ENV_DIR) === broken)).toEqual([]);
    expect(await readLabState(broken)).toBeUndefined();
  });

  it('a silent app times out with its log, and nothing is left running', async ({ skip }) => {
    if (!haveFlask) skip('Flask is not available');
    const silent = join(root, 'ep09-silent');
    await writeLab(await labSpec('ep09'), silent);
    writeFileSync(join(silent, 'apps', 'app1', 'app.py'), 'import time\nprint("app1 is thinking", flush=True)\ntime.sleep(120)\n');
    const runtime = createLocalRuntime({ registryDir, preferTsProxy: !haveHaproxy, readyTimeoutMs: 1_500 });
    await expect(runtime.up(silent)).rejects.toThrow(/Flask for app1 did not answer on 127\.0\.0\.1:\d+ in time[\s\S]*app1 is thinking/);
    expect(findByEnviron((env) => env.get(ENV_DIR) === silent)).toEqual([]);
  });

  it('a port lost to another program between check and bind: up chooses again', async ({ skip }) => {
    if (!haveFlask) skip('Flask is not available');
    const racy = join(root, 'ep09-racy');
    await writeLab(await labSpec('ep09'), racy);
    // app2 fails its first start the way Werkzeug does when the port went to someone else.
    const appPy = join(racy, 'apps', 'app2', 'app.py');
    const original = readFileSync(appPy, 'utf8');
    writeFileSync(appPy, `import os, sys\nflag = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lost-once')\nif not os.path.exists(flag):\n    open(flag, 'w').close()\n    sys.exit('OSError: [Errno 98] Address already in use')\n${original}`);
    const runtime = createLocalRuntime({ registryDir, preferTsProxy: !haveHaproxy });
    const steps: string[] = [];
    const instance = await runtime.up(racy, { onStep: (s) => steps.push(s) });
    onTestFinished(() => runtime.down(racy));
    expect(steps).toContain('a port was taken while starting; choosing ports again');
    const rs = await (await runtime.prober(instance)).send(Array.from({ length: 6 }, () => ({ proxy: 'haproxy', frontend: 'http_front', method: 'GET', path: '/' })));
    expect(count(served(rs))).toEqual({ app1: 2, app2: 1, app3: 3 });
  });

  it('an abort during up kills what was started', async ({ skip }) => {
    if (!haveDist) skip('dist/ is not built');
    const runtime = createLocalRuntime(options);
    const controller = new AbortController();
    const up = runtime.up(dir, { signal: controller.signal, onStep: (s) => s.includes('app2') && controller.abort() });
    await expect(up).rejects.toThrow(/abort/i);
    expect(findByEnviron((env) => env.get(ENV_DIR) === dir)).toEqual([]);
    expect(await runtime.inspect(dir)).toBeUndefined();
    expect(await readLabState(dir)).toBeUndefined();
  });
});
