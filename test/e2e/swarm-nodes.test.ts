/**
 * A lab on a three-node Docker Swarm (`--runtime swarm`): the host's engine as manager and
 * two workers that each run their own dockerd in a container (test/e2e/swarm-workers.ts).
 * ep09 with both proxies, app1 placed on the manager and app2, app3 on workers: `up` loads
 * the app images into each worker's engine itself (no registry), the apps run on three
 * nodes, and `verify` passes across the overlay network. Then the worker running app2 is
 * killed mid-run: on both proxies' stats pages server2 must go DOWN (its health checks
 * fail), the swarm must start app2 again on the other worker, and both proxies must bring
 * server2 back UP at its new address (the swarm runtime's `resolvers` on Docker's DNS) and
 * send to it again: `verify` sees server2 serve its share of every cycle. With the worker back, `down --images` must leave nothing of the lab on any
 * node: no service, config or network, no task container, no image. The swarm is this
 * file's own: it is made here and left at the end (a swarm already active on the engine is
 * not this test's to use).
 */
import { basename, join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATS_BIND_PORT, type LabSpec, type ProxyKind } from '../../src/lab-schema/types.js';
import { PROXY_SERVICE } from '../../src/render/compose.js';
import { execIn } from '../../src/runtime/docker/exec.js';
import { PROBE_SERVICE } from '../../src/runtime/docker/labels.js';
import { overlayName, serviceName, swarmObjects, taskContainer } from '../../src/runtime/swarm/objects.js';
import { serverStatus } from '../../src/verify/stats-page-csv.js';
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

  it('up loads the app images into both workers, runs app1, app2, app3 on three nodes, labelled swarm objects only; status lists it; verify passes', async (context) => {
    requireHere(context, 'a three-node swarm made by this test', occupied);
    const up = await cli(['up', dir, '--runtime', 'swarm']);
    expect(up.code, tail(up)).toBe(0);
    expect(up.stdout + up.stderr).toMatch(/app images on hlnode-1 \(3 loaded\), hlnode-2 \(3 loaded\)/);
    // three apps, haproxy, tsproxy and the probe; one config per proxy; one overlay network
    expect(await swarmObjects(docker, lab)).toEqual({ services: 6, configs: 2, networks: 1 });
    // The docker runtime's labelled objects: none (task containers are the swarm's, unlabelled).
    expect(await labelledObjects(docker, lab)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    const status = await cli(['status', '--json']);
    const listed = JSON.parse(status.stdout) as { dir: string; runtime: string }[];
    expect(listed.filter((l) => l.dir === dir).map((l) => l.runtime)).toEqual(['swarm']);
    expect(status.stderr).not.toMatch(new RegExp(`partial lab ${lab}`));
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

  it('the worker running app2 killed: both proxies take server2 out (their stats pages), the swarm starts app2 on the other worker, both take it back at its new address and it serves its share again', async (context) => {
    requireHere(context, 'a three-node swarm made by this test', occupied);
    expect(victim, 'the first test placed app2 on a worker').toBeDefined();
    const probe = await taskContainer(docker, serviceName(lab, PROBE_SERVICE));
    expect(probe, 'the lab has a probe task on this node').toBeDefined();
    // Each proxy's own view: its stats page's CSV, read from the probe on the overlay network.
    const script = `Promise.all(${JSON.stringify(PROXIES.map((p) => `http://${PROXY_SERVICE[p]}:${STATS_BIND_PORT}/stats;csv`))}.map((u) => fetch(u, { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).catch((e) => String(e)))).then((t) => console.log(JSON.stringify(t)))`;
    const status = async (): Promise<Record<ProxyKind, string>> => {
      const { stdout } = await execIn(probe!, ['node', '-e', script]);
      const pages = JSON.parse(stdout) as string[];
      return Object.fromEntries(PROXIES.map((p, i) => [p, serverStatus(pages[i] ?? '', 'servers', 'server2') ?? `unreadable: ${(pages[i] ?? '').slice(0, 80)}`])) as Record<ProxyKind, string>;
    };
    const before = await status();
    for (const p of PROXIES) expect(before[p], `${p}: server2 before the kill`).toBe('UP');

    const killedAt = Date.now();
    await victim!.container.kill();
    const at = (): number => Math.round((Date.now() - killedAt) / 100) / 10;
    const timeline: string[] = [];
    const out: Partial<Record<ProxyKind, number>> = {};
    const back: Partial<Record<ProxyKind, number>> = {};
    let moved: number | undefined;
    let movedTo = '';
    while (at() < 180 && PROXIES.some((p) => back[p] === undefined)) {
      const now = await status();
      for (const p of PROXIES) {
        if (out[p] === undefined && /^(DOWN|MAINT)/.test(now[p])) {
          out[p] = at();
          timeline.push(`+${out[p]} s ${p}: server2 ${now[p]} (out of rotation)`);
        } else if (out[p] !== undefined && back[p] === undefined && now[p] === 'UP') {
          back[p] = at();
          timeline.push(`+${back[p]} s ${p}: server2 UP again`);
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
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`three-node swarm, ${victim!.name} (running app2) killed at +0 s:\n  ${timeline.join('\n  ')}`);
    for (const p of PROXIES) expect(out[p], `${p}: server2 never left rotation (${timeline.join('; ')})`).toBeDefined();
    expect(moved, `the swarm never ran app2 elsewhere (${timeline.join('; ')})`).toBeDefined();
    expect(movedTo).not.toBe(victim!.name);
    expect(movedTo).not.toBe(managerHost);
    for (const p of PROXIES) {
      expect(back[p], `${p}: server2 never came back (${timeline.join('; ')})`).toBeDefined();
      // Back at the rescheduled task's address: not before the swarm ran one.
      expect(back[p]!).toBeGreaterThanOrEqual(moved! - 1);
    }
    // And traffic reaches app2 again through both, in the weights' proportions. rr.order and
    // balance.candidates judge the exact order of a fresh start, which fwrr has moved on from
    // once a server went down and came back: verify reads that from each proxy's stats page
    // (chkdown) and skips them, saying why (docs/verification.md); nothing may fail.
    const verify = await cli(['verify', dir, '--seed', '5', '--json', '-']);
    const report = JSON.parse(verify.stdout) as { reports: { proxy: string; counts: Record<string, number>; checks: { name: string; pass: boolean; skipped?: string }[] }[] };
    expect(verify.code, tail(verify)).toBe(0);
    for (const r of report.reports) {
      expect(r.counts.server2, `${r.proxy}: requests served by server2 after the failover`).toBeGreaterThan(0);
      expect(r.checks.find((c) => c.name === 'rr.cycle-counts'), `${r.proxy}: 2:1:3 in every cycle`).toMatchObject({ pass: true });
      expect(r.checks.filter((c) => !c.pass && !c.skipped).map((c) => c.name), `${r.proxy}: failed checks\n${tail(verify)}`).toEqual([]);
      for (const name of ['rr.order', 'balance.candidates']) {
        expect(r.checks.find((c) => c.name === name)?.skipped, `${r.proxy} ${name}\n${tail(verify)}`).toMatch(/server2 \(chkdown \d+\) went DOWN and came back/);
      }
    }
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
