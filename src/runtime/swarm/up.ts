/**
 * `up` on a swarm: build the lab's images on this engine (a manager; one node, or nodes
 * that share it), make the overlay network, the app and probe services, wait until every
 * app answers through the probe, then the proxy services with their haproxy.cfg config
 * objects, and wait until every frontend answers. Any failure or abort removes everything
 * this lab has on the swarm. The state file is written before anything is made.
 */
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { PROXY_SERVICE, proxiesOf } from '../../render/compose.js';
import { frontendScheme, STATS_BIND_PORT, type ImageFlavor, type LabSpec } from '../../lab-schema/types.js';
import { ensureBaseImages } from '../images/plan.js';
import type { Endpoint, LabInstance, UpOptions } from '../types.js';
import { buildLabImages } from '../docker/lab-images.js';
import { serviceRecipes } from '../../render/recipes.js';
import { imageTag, PROBE_SERVICE, type LabIdentity } from '../docker/labels.js';
import { runAgent } from '../docker/agent-client.js';
import { InterruptedError, loadLab } from '../docker/up.js';
import { newRunId, readLabState, removeLabState, writeLabState, type LabState } from '../state.js';
import { isSwarmManager, labServices, overlayName, removeSwarmObjects } from './objects.js';
import { probeContainer } from './prober.js';
import { createAppService, createOverlay, createProbeService, createProxyService, imageId, servicesNotRunning } from './services.js';
import { loadImagesOnto } from './node-images.js';
import { ENGINE_LABEL, offUnreachableNodes, onThisNode, otherActiveNodes, swarmNodes, type SwarmNode } from './nodes.js';
import { checkLabCertificates } from '../shared/lab-certificates.js';

const DEFAULT_READY_MS = 120_000;
const POLL_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const notAManager = (): EnvironmentError => new EnvironmentError(
  'this Docker engine is not a swarm manager',
  'make it one with `docker swarm init --advertise-addr 127.0.0.1` (haplab never starts or leaves a swarm itself), or use --runtime docker',
);

/** What the layers above see: each proxy's frontends by service name and port, reached through the probe. */
export function swarmInstanceOf(spec: LabSpec, lab: string, dir: string, notes: string[] = []): LabInstance {
  const endpoints: Endpoint[] = [];
  for (const proxy of proxiesOf(spec)) {
    const host = PROXY_SERVICE[proxy];
    for (const f of spec.frontends) endpoints.push({ proxy, frontend: f.name, mode: f.mode, host, port: f.bind, url: `${frontendScheme(f)}://${host}:${f.bind}` });
  }
  return {
    lab, runtime: 'swarm', dir, spec, endpoints,
    // The stats pages answer on the overlay network only (STATS_BIND_PORT), not on this host.
    stats: [],
    proxyConfigs: proxiesOf(spec).map((proxy) => ({ proxy, file: join(dir, PROXY_SERVICE[proxy], 'haproxy.cfg') })),
    notes: [`on the swarm overlay network ${overlayName(lab)}, reached through the probe service; nothing is published on this host (swarm publishes on every interface)`, ...notes],
  };
}

export async function upSwarmLab(docker: Docker, labDir: string, options: UpOptions = {}): Promise<LabInstance> {
  const { dir, lab, spec } = await loadLab(labDir);
  const step = options.onStep ?? (() => {});
  if (!(await isSwarmManager(docker))) throw notAManager();
  const held = await readLabState(dir);
  if (held && held.runtime !== 'swarm') {
    throw new EnvironmentError(`lab ${held.lab} is held by the ${held.runtime} runtime (run ${held.runId})`, `run \`haplab down ${labDir}\` first`);
  }
  await checkLabCertificates(dir, spec);
  const notes: string[] = [];
  if ((await labServices(docker, lab)).length > 0) {
    step('removing what an earlier run left');
    await removeSwarmObjects(docker, lab);
    notes.push('an earlier run of this lab on the swarm was removed first');
  }
  // Official where present or pullable, else haplab's offline images (built here once when missing).
  const base = await ensureBaseImages(docker, { pin: spec.images, signal: options.signal, report: options.onStep });
  const id: LabIdentity = { lab, episode: spec.id, runId: newRunId(), dir };
  const state: LabState = { version: 1, runtime: 'swarm', lab, runId: id.runId, episode: spec.id, createdAt: new Date().toISOString(), phase: 'starting' };
  await writeLabState(dir, state);
  try {
    notes.push(...await bringUp(docker, spec, id, base.flavor, Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_MS), options));
  } catch (err) {
    const aborted = options.signal?.aborted ?? false;
    step('removing what this run made');
    await removeSwarmObjects(docker, lab).catch(() => undefined);
    await removeLabState(dir, id.runId).catch(() => undefined);
    if (aborted) throw new InterruptedError(`removed everything this \`up\` of ${lab} had made on the swarm`);
    throw err;
  }
  const instance = swarmInstanceOf(spec, lab, dir, notes);
  await writeLabState(dir, { ...state, phase: 'running', endpoints: instance.endpoints, notes: instance.notes });
  return instance;
}

/** Returns what the run's notes should say: the nodes used, what was added to each haproxy.cfg. */
async function bringUp(docker: Docker, spec: LabSpec, id: LabIdentity, flavor: ImageFlavor, deadline: number, options: UpOptions): Promise<string[]> {
  const step = options.onStep ?? (() => {});
  const signal = options.signal;
  const images = serviceRecipes(spec);
  step(`building ${images.length} images and the probe`);
  const probeImage = await buildLabImages(docker, images, id, flavor, signal);

  // Apps may run on any node haplab can put their images on; the proxies and the probe stay
  // on this one (their runtime API and the probe's exec go through this engine).
  const nodes = await swarmNodes(docker);
  const notes = await spreadAppImages(docker, spec, id, nodes, step, signal);
  const appConstraints = offUnreachableNodes(nodes);
  const here = onThisNode(nodes);

  step('creating the overlay network and the app services');
  const network = await createOverlay(docker, id);
  for (const app of spec.apps) await createAppService(docker, id, network, app, [...(app.placement ?? []), ...appConstraints]);
  await createProbeService(docker, id, network, spec, probeImage, here);
  step('waiting for the app tasks');
  await waitForTasks(docker, id.lab, [...spec.apps.map((a) => a.name), PROBE_SERVICE], deadline, signal);
  step('waiting for the apps to answer');
  await waitForAnswers(docker, id.lab, spec.apps.map((a) => ({ host: a.name, port: a.port })), deadline, signal);

  // Proxies after the apps: HAProxy resolves its servers' names when it starts.
  step('creating the proxy services');
  for (const proxy of proxiesOf(spec)) notes.push(...await createProxyService(docker, id, network, proxy, here));
  await waitForTasks(docker, id.lab, proxiesOf(spec).map((p) => PROXY_SERVICE[p]), deadline, signal);
  step('waiting for the proxies to answer');
  const frontends = proxiesOf(spec).flatMap((p) => [...spec.frontends.map((f) => f.bind), STATS_BIND_PORT].map((port) => ({ host: PROXY_SERVICE[p], port })));
  await waitForAnswers(docker, id.lab, frontends, deadline, signal);
  return notes;
}

/**
 * Puts the app images on every other node that can take tasks and says where its engine
 * answers (nodes.ts); notes the nodes that do not say, which get no app task.
 */
async function spreadAppImages(docker: Docker, spec: LabSpec, id: LabIdentity, nodes: SwarmNode[], step: (s: string) => void, signal?: AbortSignal): Promise<string[]> {
  const others = otherActiveNodes(nodes);
  if (others.length === 0) return [];
  const notes: string[] = [];
  const reachable = others.filter((n) => n.engine).sort((a, b) => a.hostname.localeCompare(b.hostname));
  const silent = nodes.filter((n) => !n.self && !n.engine);
  if (silent.length) {
    notes.push(`no app task on ${silent.map((n) => n.hostname).join(', ')}: no ${ENGINE_LABEL} label says where its engine answers, so haplab cannot put the lab's images there`);
  }
  if (reachable.length === 0) return notes;
  step(`loading the app images into ${reachable.map((n) => n.hostname).join(', ')}`);
  const ids = await Promise.all(spec.apps.map((a) => imageId(docker, imageTag(id.lab, a.name))));
  const loaded = await Promise.all(reachable.map((n) => loadImagesOnto(docker, n, ids, signal)));
  notes.push(`app images on ${reachable.map((n, i) => `${n.hostname} (${loaded[i] ? `${loaded[i]} loaded` : 'already there'})`).join(', ')}; the proxies and the probe run on this node`);
  return notes;
}

async function waitForTasks(docker: Docker, lab: string, services: string[], deadline: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const waiting = await servicesNotRunning(docker, lab, services);
    if (waiting.length === 0) return;
    if (Date.now() >= deadline) throw new EnvironmentError(`the lab was not ready in time: no running task for ${waiting.join(', ')}`, 'see `docker service ps` for those services');
    await sleep(POLL_MS);
  }
}

/** Until each host:port answers HTTP from the probe (any status: the agent's wait; a TCP frontend forwards to an app that does). */
export async function waitForAnswers(docker: Docker, lab: string, targets: { host: string; port: number }[], deadline: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const probe = await probeContainer(docker, lab);
    const { waiting } = await runAgent(probe, { op: 'wait', targets, timeoutMs: Math.max(0, Math.min(3_000, deadline - Date.now())) });
    if (waiting.length === 0) return;
    if (Date.now() >= deadline) {
      throw new EnvironmentError(`the lab was not ready in time: ${waiting.map((w) => `${w.target.host}:${w.target.port} does not answer (${w.error})`).join('; ')}`, 'see `docker service logs` for those services');
    }
  }
}
