/**
 * A lab on a three-node Docker Swarm (`--runtime swarm`): the host's engine as manager and
 * two workers that each run their own dockerd in a container (test/e2e/swarm-workers.ts).
 * ep09 with both proxies, app1 placed on the manager and app2, app3 on workers: `up` loads
 * the app images into each worker's engine itself (no registry), the apps run on three
 * nodes, and `verify` passes across the overlay network. Then the worker running app2 is
 * killed mid-run: through both proxies, app2 must leave rotation (its health checks fail),
 * the swarm must start app2 again on the other worker, and both proxies must send to it
 * again at its new address (the swarm runtime's `resolvers` on Docker's DNS); `verify`
 * passes again. With the worker back, `down --images` must leave nothing of the lab on any
 * node: no service, config or network, no task container, no image. The swarm is this
 * file's own: it is made here and left at the end (a swarm already active on the engine is
 * not this test's to use).
 */
import { basename, join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LabSpec, ProxyKind } from '../../src/lab-schema/types.js';
import type { ProbeRequest } from '../../src/runtime/types.js';
import { createSwarmRuntime } from '../../src/runtime/swarm/index.js';
import { overlayName, serviceName, swarmObjects } from '../../src/runtime/swarm/objects.js';
import { runCli } from '../helpers/cli.js';
import { requireHere } from '../helpers/require-tool.js';
import { tail } from './check-helpers.js';
import { describeDocker, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';
import { ensureSwarmNodeImage, nodesByHostname, nodeState, threeNodeSwarm, until, type ThreeNodeSwarm, type Worker } from './swarm-workers.js';

const TIMEOUT_MS = 420_000;
const cli = (args: string[]) => runCli(args, { timeoutMs: TIMEOUT_MS });
const PROXIES: ProxyKind[] = ['haproxy', 'ts'];

describeDocker('a lab on a three-node swarm: apps on three nodes, a worker killed mid-run, nothing left on any node', () => {
  let docker: Docker;
  let swarm: ThreeNodeSwarm | undefined;
  let occupied: string | undefined;
  let dir = '';
  let lab = '';
  let managerHost = '';
  /** The worker app2 ran on before it was killed. */
  let victim: Worker | undefined;

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
    if (info.Swarm?.LocalNodeState !== 'inactive') {
      occupied = `the engine is already in a swarm (${info.Swarm?.LocalNodeState ?? 'unknown'}): this test makes its own three-node swarm`;
      return;
    }
    await ensureSwarmNodeImage(docker);
    swarm = await threeNodeSwarm(docker);
    managerHost = [...(await nodesByHostname(docker)).values()].find((n) => n.Spec.Role === 'manager')?.Description?.Hostname ?? '';
    dir = await writeEpisodeLab('ep09', 'three-node', { proxy: 'both' });
    lab = basename(dir);
    const spec = parse(await readFile(join(dir, 'lab.yaml'), 'utf8')) as LabSpec;
    for (const app of spec.apps) app.placement = [app.name === 'app1' ? 'node.role==manager' : 'node.role==worker'];
    await writeFile(join(dir, 'lab.yaml'), stringify(spec));
  }, TIMEOUT_MS);

  afterAll(async () => {
    if (dir) await cli(['down', dir, '--images']).catch(() => undefined);
    await swarm?.remove();
  }, TIMEOUT_MS);

  /** The node (hostname) of each app's running task. */
  async function appNodes(): Promise<Record<string, string>> {
    const byId = new Map([...(await nodesByHostname(docker))].map(([host, n]) => [n.ID, host]));
    const out: Record<string, string> = {};
    for (const app of ['app1', 'app2', 'app3']) {
      const tasks = (await docker.listTasks({ filters: { service: [serviceName(lab, app)], 'desired-state': ['running'] } })) as { NodeID?: string; Status?: { State?: string } }[];
      const running = tasks.find((t) => t.Status?.State === 'running');
      if (running?.NodeID) out[app] = byId.get(running.NodeID) ?? running.NodeID;
    }
    return out;
  }

  it('up loads the app images into both workers and runs app1, app2, app3 on three nodes; verify passes', async (context) => {
    requireHere(context, 'a three-node swarm made by this test', occupied);
    const up = await cli(['up', dir, '--runtime', 'swarm']);
    expect(up.code, tail(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/app images on hlnode-1 \(3 loaded\), hlnode-2 \(3 loaded\)/);
    const nodes = await appNodes();
    expect(nodes.app1).toBe(managerHost);
    expect([nodes.app2, nodes.app3].sort()).toEqual(['hlnode-1', 'hlnode-2']);
    for (const w of swarm!.workers) {
      const images = await w.engine.listImages({ filters: { label: [`io.haplab.lab=${lab}`] } });
      expect(images.length, `${w.name}: the lab's app images`).toBe(3);
    }
    const verify = await cli(['verify', dir, '--seed', '4', '--quiet']);
    expect(verify.code, tail(verify)).toBe(0);
    expect(verify.stdout).toMatch(/^PASS ep09 · three-node · proxy both · swarm · roundrobin · /);
    victim = swarm!.workers.find((w) => w.name === nodes.app2);
  }, TIMEOUT_MS);

  it('the worker running app2 killed: app2 leaves rotation on both proxies, the swarm starts it on the other worker, both send to it again, verify passes', async (context) => {
    requireHere(context, 'a three-node swarm made by this test', occupied);
    expect(victim, 'the first test placed app2 on a worker').toBeDefined();
    const runtime = await createSwarmRuntime();
    const instance = await runtime.inspect(dir);
    expect(instance, 'the lab is up on the swarm').toBeDefined();
    const prober = await runtime.prober(instance!);
    const round = (proxy: ProxyKind): ProbeRequest[] => Array.from({ length: 6 }, () => ({ proxy, frontend: 'http_front', method: 'GET', path: '/' }));
    /** One round of 6 requests per proxy (a full 2:1:3 cycle): which apps answered, and how many did not. */
    const sample = async () => {
      const out = {} as Record<ProxyKind, { apps: Set<string>; failed: number }>;
      await Promise.all(PROXIES.map(async (p) => {
        const responses = await prober.send(round(p), { concurrency: 1, timeoutMs: 8_000 });
        out[p] = { apps: new Set(responses.flatMap((r) => (r.servedBy ? [r.servedBy] : []))), failed: responses.filter((r) => r.status !== 200).length };
      }));
      return out;
    };
    try {
      const before = await sample();
      for (const p of PROXIES) expect([...before[p].apps].sort(), `${p} before the kill`).toEqual(['app1', 'app2', 'app3']);

      const killedAt = Date.now();
      await victim!.container.kill();
      const at = (): number => Math.round((Date.now() - killedAt) / 100) / 10;
      const timeline: string[] = [];
      const out: Partial<Record<ProxyKind, number>> = {};
      const back: Partial<Record<ProxyKind, number>> = {};
      let moved: number | undefined;
      let movedTo = '';
      while (at() < 240 && PROXIES.some((p) => back[p] === undefined)) {
        const seen = await sample();
        for (const p of PROXIES) {
          const s = seen[p];
          if (out[p] === undefined && !s.apps.has('app2') && s.failed === 0) {
            out[p] = at();
            timeline.push(`+${out[p]} s ${p}: a full round answered by app1 and app3 alone (app2 out of rotation)`);
          } else if (out[p] !== undefined && back[p] === undefined && s.apps.has('app2')) {
            back[p] = at();
            timeline.push(`+${back[p]} s ${p}: app2 answers again`);
          }
        }
        if (moved === undefined) {
          const node = (await appNodes()).app2;
          if (node && node !== victim!.name) {
            moved = at();
            movedTo = node;
            timeline.push(`+${moved} s swarm: app2 running on ${node}`);
          }
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      console.log(`three-node swarm, ${victim!.name} killed at +0 s:\n  ${timeline.join('\n  ')}`);
      for (const p of PROXIES) expect(out[p], `${p}: app2 never left rotation (${timeline.join('; ')})`).toBeDefined();
      expect(moved, `the swarm never ran app2 elsewhere (${timeline.join('; ')})`).toBeDefined();
      expect(movedTo).not.toBe(victim!.name);
      expect(movedTo).not.toBe(managerHost);
      for (const p of PROXIES) {
        expect(back[p], `${p}: app2 never answered again (${timeline.join('; ')})`).toBeDefined();
        // It came back at the rescheduled task, not before the swarm ran one.
        expect(back[p]!).toBeGreaterThanOrEqual(moved! - 1);
      }
    } finally {
      await prober.close();
    }
    const verify = await cli(['verify', dir, '--seed', '5', '--quiet']);
    expect(verify.code, tail(verify)).toBe(0);
  }, TIMEOUT_MS);

  it('with the killed worker back, down --images leaves nothing of the lab on any node', async (context) => {
    requireHere(context, 'a three-node swarm made by this test', occupied);
    expect(victim).toBeDefined();
    await victim!.container.start();
    await until(`${victim!.name}'s dockerd back`, 60_000, async () => ((await victim!.engine.ping()) ? true : undefined));
    await nodeState(docker, victim!.name, 'ready', 120_000);

    const down = await cli(['down', dir, '--images']);
    expect(down.code, tail(down)).toBe(0);
    expect(down.stdout).toMatch(/on hlnode-1, hlnode-2/);
    expect(down.stdout).not.toMatch(/NOT cleared/);
    expect(await swarmObjects(docker, lab)).toEqual({ services: 0, configs: 0, networks: 0 });
    expect(await labelledObjects(docker, lab)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(await docker.listImages({ filters: { label: [`io.haplab.lab=${lab}`] } })).toEqual([]);
    for (const w of swarm!.workers) {
      const tasks = (await w.engine.listContainers({ all: true })).filter((c) => (c.Labels['com.docker.swarm.service.name'] ?? '').startsWith(`haplab-${lab}-`));
      expect(tasks.map((c) => c.Names[0]), `${w.name}: task containers`).toEqual([]);
      expect(await w.engine.listImages({ filters: { label: [`io.haplab.lab=${lab}`] } }), `${w.name}: images`).toEqual([]);
      // The overlay leaves a worker once no task of it runs there; give it the manager's moment.
      await until(`${overlayName(lab)} gone from ${w.name}`, 30_000, async () => ((await w.engine.listNetworks()).some((n) => n.Name === overlayName(lab)) ? undefined : true));
    }
  }, TIMEOUT_MS);
});
