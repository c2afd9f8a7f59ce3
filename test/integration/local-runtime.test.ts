/**
 * The local runtime end to end, on loopback: for ep09, ep03, ep02 (tcp) and ep04, `up`
 * starts the lab, requests through the proxy reach the apps the config names (X-Served-By),
 * and `down` leaves no process and no held port — once with the real Flask + HAProxy and
 * once with haplab's Node replicas + TypeScript proxy forced.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';
import { writeLab } from '../../src/render/lab.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { readLabState } from '../../src/runtime/state.js';
import { createLocalRuntime, UnreachableSubnetError, type LocalRuntimeOptions } from '../../src/runtime/local/index.js';
import { ephemeralRange, isPortFree, MOVED_PORTS, overlaps } from '../../src/runtime/local/ports.js';
import { findByEnviron, readStat } from '../../src/runtime/local/procfs.js';
import { processAlive } from '../../src/runtime/local/processes.js';
import { ENV_DIR, ENV_REGISTRY, runFileInLab, readRun } from '../../src/runtime/local/run-record.js';
import type { LabInstance, ProbeRequest, ProbeResponse } from '../../src/runtime/types.js';
import { primaryBackend, type LabSpec } from '../../src/lab-schema/types.js';
import { labOnTestPorts } from '../helpers/ports.js';
import { DIST, FLASK, HAPROXY, itWithTool, type Tool } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-local-'));
const registryDir = join(root, 'registry');

afterAll(async () => {
  await createLocalRuntime({ registryDir }).downAll();
  rmSync(root, { recursive: true, force: true });
});

interface Flavor {
  name: string;
  options: LocalRuntimeOptions;
  needs: Tool[];
  notes: RegExp[];
}

const flavors: Flavor[] = [
  { name: 'Flask + HAProxy', options: {}, needs: [FLASK, HAPROXY], notes: [/apps: Flask/, /proxy: HAProxy/] },
  {
    name: 'Node replicas + TypeScript proxy',
    options: { preferReplicas: true, preferTsProxy: true },
    // The replicas and the TypeScript proxy run from dist/ (npm test builds first).
    needs: [DIST],
    notes: [/Node replicas/, /TypeScript proxy plays HAProxy's part/],
  },
];

type Expect = (instance: LabInstance, send: (reqs: Partial<ProbeRequest>[]) => Promise<ProbeResponse[]>) => Promise<void>;

/**
 * The episode's lab on ports reserved for this process (test/helpers/ports.ts): on a shared
 * machine the Docker e2e suites publish the catalogue's own ports (8090, 4000, …) and
 * another run of these very tests may be under way, and either would meet these labs'
 * traffic. What the runtime does when a lab's port is taken has its own test.
 */
async function labSpec(id: string): Promise<LabSpec> {
  return labOnTestPorts(await loadEpisode(id));
}

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
    itWithTool(flavor.needs, 'up → traffic reaches the right apps → down leaves nothing', async () => {
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
        // The runtime's own admin socket: the prober reaches the proxy's runtime API.
        const backend = primaryBackend(instance.spec);
        const first = backend.servers[0]!;
        expect(await prober.runtimeApi?.('haproxy', `get weight ${backend.name}/${first.name}`)).toBe(`${first.weight} (initial ${first.weight})\n\n`);
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
  let frontendPort = 0;
  let taken: Server | undefined;

  beforeAll(async () => {
    const spec = await labSpec('ep09');
    frontendPort = spec.frontends[0]!.hostPort;
    await writeLab(spec, dir);
  });
  afterAll(() => taken?.close());

  itWithTool(DIST, 'moves a taken port out of the ephemeral range, says so, and a second up changes nothing', async () => {
    // Hold the frontend's own port the way another program would (reserved: only we can).
    taken = createServer();
    await new Promise<void>((resolve, reject) => taken!.once('error', reject).listen(frontendPort, '127.0.0.1', resolve));
    const runtime = createLocalRuntime(options);
    const first = await runtime.up(dir);
    const endpoint = first.endpoints[0]!;
    expect(endpoint.port).not.toBe(frontendPort);
    expect(first.notes.join('\n')).toMatch(`port ${frontendPort} is taken, using ${endpoint.port}`);
    // Where no listen(0) or outgoing connection can be given it before the proxy binds it.
    expect(endpoint.port).toBeGreaterThanOrEqual(MOVED_PORTS.first);
    expect(endpoint.port).toBeLessThanOrEqual(MOVED_PORTS.last);
    expect(overlaps({ first: endpoint.port, last: endpoint.port }, ephemeralRange())).toBe(false);
    const before = await processesOf(first);
    const second = await runtime.up(dir);
    expect(second.endpoints).toEqual(first.endpoints);
    expect((await processesOf(second)).pids).toEqual(before.pids);
    expect((await runtime.list()).map((l) => l.dir)).toContain(first.dir);
    expect(runtime.describe()).toMatch(/^local:/);
  });

  itWithTool(DIST, 'stats answer in HAProxy CSV', async () => {
    const instance = await createLocalRuntime(options).up(dir);
    const response = await fetch(instance.stats[0]!.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^# pxname,svname/);
  });

  itWithTool(DIST, 'disrupt stops or pauses one app; resume brings it back', async () => {
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

  itWithTool(DIST, 'client addresses come from 127.0.0.0/8; another subnet is an UnreachableSubnetError', async () => {
    const runtime = createLocalRuntime(options);
    const instance = await runtime.up(dir);
    onTestFinished(async () => { await runtime.down(dir); });
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

  itWithTool([FLASK, HAPROXY], 'a failing app fails up with its log, and nothing is left running', async () => {
    const broken = join(root, 'ep09-broken');
    await writeLab(await labSpec('ep09'), broken);
    writeFileSync(join(broken, 'apps', 'app3', 'app.py'), 'raise SystemExit("app3 refuses to start")\n');
    const runtime = createLocalRuntime({ registryDir });
    await expect(runtime.up(broken)).rejects.toThrow(/Flask for app3 exited while starting[\s\S]*app3 refuses to start/);
    expect(findByEnviron((env) => env.get(ENV_DIR) === broken)).toEqual([]);
    expect(await readLabState(broken)).toBeUndefined();
  });

  itWithTool([FLASK, HAPROXY], 'a silent app times out with its log, and nothing is left running', async () => {
    const silent = join(root, 'ep09-silent');
    await writeLab(await labSpec('ep09'), silent);
    writeFileSync(join(silent, 'apps', 'app1', 'app.py'), 'import time\nprint("app1 is thinking", flush=True)\ntime.sleep(120)\n');
    // Long enough for the healthy apps to answer and app1 to print, on a loaded machine too
    // (Flask starts in about a second idle): the timeout must be app1's, with its line in the log.
    const runtime = createLocalRuntime({ registryDir, readyTimeoutMs: 10_000 });
    await expect(runtime.up(silent)).rejects.toThrow(/Flask for app1 did not answer on 127\.0\.0\.1:\d+ in time[\s\S]*app1 is thinking/);
    expect(findByEnviron((env) => env.get(ENV_DIR) === silent)).toEqual([]);
  });

  itWithTool([FLASK, HAPROXY], 'a port lost to another program between check and bind: up chooses again', async () => {
    const racy = join(root, 'ep09-racy');
    await writeLab(await labSpec('ep09'), racy);
    // app2 fails its first start the way Werkzeug does when the port went to someone else.
    const appPy = join(racy, 'apps', 'app2', 'app.py');
    const original = readFileSync(appPy, 'utf8');
    writeFileSync(appPy, `import os, sys\nflag = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lost-once')\nif not os.path.exists(flag):\n    open(flag, 'w').close()\n    sys.exit('OSError: [Errno 98] Address already in use')\n${original}`);
    const runtime = createLocalRuntime({ registryDir });
    const steps: string[] = [];
    const instance = await runtime.up(racy, { onStep: (s) => steps.push(s) });
    onTestFinished(async () => { await runtime.down(racy); });
    expect(steps).toContain('a port was taken while starting; choosing ports again');
    const rs = await (await runtime.prober(instance)).send(Array.from({ length: 6 }, () => ({ proxy: 'haproxy', frontend: 'http_front', method: 'GET', path: '/' })));
    expect(count(served(rs))).toEqual({ app1: 2, app2: 1, app3: 3 });
  });

  itWithTool([FLASK, HAPROXY], 'ports lost on every attempt: up gives up with one exit-3 line, and nothing is left running', async () => {
    const lost = join(root, 'ep09-always-lost');
    await writeLab(await labSpec('ep09'), lost);
    writeFileSync(join(lost, 'apps', 'app2', 'app.py'), "import sys\nsys.exit('OSError: [Errno 98] Address already in use')\n");
    const runtime = createLocalRuntime({ registryDir });
    const steps: string[] = [];
    const failure = await runtime.up(lost, { onStep: (s) => steps.push(s) }).then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(EnvironmentError);
    const error = failure as EnvironmentError;
    expect(error.exitCode).toBe(3);
    expect(error.oneLine()).not.toContain('\n');
    expect(error.oneLine()).toMatch(/took a port of lab \S+ between haplab's check and the bind, 3 times in a row \(Flask for app2 exited while starting: OSError: \[Errno 98\] Address already in use\)/);
    expect(steps.filter((s) => s === 'a port was taken while starting; choosing ports again')).toHaveLength(2);
    expect(findByEnviron((env) => env.get(ENV_DIR) === lost)).toEqual([]);
    expect(await readLabState(lost)).toBeUndefined();
  });

  itWithTool(DIST, 'an abort during up kills what was started', async () => {
    const runtime = createLocalRuntime(options);
    const controller = new AbortController();
    const up = runtime.up(dir, { signal: controller.signal, onStep: (s) => s.includes('app2') && controller.abort() });
    await expect(up).rejects.toThrow(/abort/i);
    expect(findByEnviron((env) => env.get(ENV_DIR) === dir)).toEqual([]);
    expect(await runtime.inspect(dir)).toBeUndefined();
    expect(await readLabState(dir)).toBeUndefined();
  });
});
