/**
 * `up` on Docker: build the images of the services whose Dockerfile was edited (the others
 * run their base image with their files copied in: recipe-files.ts), make networks and
 * containers (each labelled as it is made), start apps and probe, wait until the apps answer, start the
 * proxies, wait until they answer. Idempotent: a lab already running as its lab.yaml says
 * is left alone. Any failure or an abort (Ctrl-C) removes everything this lab has, so a
 * failed `up` leaves nothing behind; the error carries the evidence (build output, logs).
 */
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError, ExitCode, HaplabError } from '../../errors.js';
import { PROXY_SERVICE, proxiesOf, publishedPorts } from '../../render/compose.js';
import { labNameOf, SPEC_FILE } from '../../render/lab.js';
import { loadSpecFile } from '../../lab-schema/load.js';
import { normalizeSpec } from '../../lab-schema/normalize.js';
import type { ImageFlavor, LabSpec } from '../../lab-schema/types.js';
import { ensureBaseImages } from '../images/plan.js';
import type { LabInstance, UpOptions } from '../types.js';
import { createAppContainer, createProbeContainer, createProxyContainer, type ServiceImage } from './containers.js';
import { instanceOf, isComplete, labContainers } from './instance.js';
import { buildLabImages, settled } from './lab-images.js';
import { runsFromBase } from './recipe-files.js';
import { serviceRecipes } from '../../render/recipes.js';
import { baseImages } from '../../lab-schema/images.js';
import { PROBE_SERVICE, type LabIdentity } from './labels.js';
import { createNetworks } from './network.js';
import { assertPortsFree, portFromStartError, portInUseError } from './ports.js';
import { waitForApps, waitForProxies } from './ready.js';
import { newRunId, readLabState, removeLabState, writeLabState, type LabState } from '../state.js';
import { removeByLabel } from './teardown.js';
import { checkLabCertificates } from '../shared/lab-certificates.js';

/** readyTimeoutMs: how long apps and proxies together may take to answer. Default 90 s. */
export type DockerUpOptions = UpOptions;

const DEFAULT_READY_MS = 90_000;

export class InterruptedError extends HaplabError {
  constructor(what: string) {
    super(`interrupted: ${what}`, ExitCode.interrupted);
  }
}

export async function loadLab(dir: string): Promise<{ dir: string; lab: string; spec: LabSpec }> {
  const abs = resolve(dir);
  return { dir: abs, lab: labNameOf(abs), spec: normalizeSpec(await loadSpecFile(join(abs, SPEC_FILE))) };
}

export async function upLab(docker: Docker, labDir: string, options: DockerUpOptions = {}): Promise<LabInstance> {
  const { dir, lab, spec } = await loadLab(labDir);
  const step = options.onStep ?? (() => {});
  const held = await readLabState(dir);
  if (held?.runtime === 'local') {
    throw new EnvironmentError(`lab ${held.lab} is held by the local runtime (run ${held.runId})`, `run \`haplab down ${labDir}\` first`);
  }
  const existing = (await labContainers(docker, lab))[0];
  if (existing?.dir && existing.dir !== dir) {
    throw new EnvironmentError(`a lab named ${lab} from ${existing.dir} is already on this engine`, `take it down first (haplab down ${existing.dir}), or rename this lab's directory`);
  }
  const readyMs = options.readyTimeoutMs ?? DEFAULT_READY_MS;
  if (existing && isComplete(existing, spec) && JSON.stringify(existing.spec) === JSON.stringify(spec)) {
    step('already running: checking that it answers');
    await waitUntilReady(docker, lab, spec, Date.now() + readyMs, options.signal);
    return instanceOf(spec, lab, dir, ['already running; nothing changed']);
  }
  await checkLabCertificates(dir, spec);
  const notes: string[] = [];
  if (existing) {
    step('removing what an earlier run left');
    await removeByLabel(docker, lab);
    notes.push('an earlier, incomplete or different run of this lab was removed first');
  }
  // Official where present or pullable, else haplab's offline images (built here once when missing).
  const base = await ensureBaseImages(docker, { pin: spec.images, signal: options.signal, report: step });
  step(`base images: ${base.flavor} (${base.why})`);
  await assertPortsFree(docker, proxiesOf(spec).flatMap((p) => publishedPorts(spec, p).map((x) => x.host)));

  const id: LabIdentity = { lab, episode: spec.id, runId: newRunId(), dir };
  // Recorded before anything is made: `down DIR` knows the runtime even if this process is killed.
  const state: LabState = { version: 1, runtime: 'docker', lab, runId: id.runId, episode: spec.id, createdAt: new Date().toISOString(), phase: 'starting' };
  await writeLabState(dir, state);
  try {
    await bringUp(docker, spec, id, base.flavor, { ...options, readyTimeoutMs: readyMs });
  } catch (err) {
    const aborted = options.signal?.aborted ?? false;
    step('removing what this run made');
    await removeByLabel(docker, lab).catch(() => undefined);
    await removeLabState(dir, id.runId).catch(() => undefined);
    if (aborted) throw new InterruptedError(`removed everything this \`up\` of ${lab} had made`);
    throw err;
  }
  const instance = instanceOf(spec, lab, dir, notes);
  await writeLabState(dir, { ...state, phase: 'running', endpoints: instance.endpoints, stats: instance.stats, notes });
  return instance;
}

async function bringUp(docker: Docker, spec: LabSpec, id: LabIdentity, flavor: ImageFlavor, options: DockerUpOptions): Promise<void> {
  const step = options.onStep ?? (() => {});
  const signal = options.signal;
  const images = await serviceImages(spec, id.dir, flavor);
  const toBuild = serviceRecipes(spec).filter((r) => images.get(r.service)!.built);
  step(toBuild.length === 0
    ? 'no lab image to build: every Dockerfile is as generated, so each service runs its base image with its files copied in'
    : `building ${toBuild.length} of ${images.size} images (${toBuild.map((r) => r.service).join(', ')}) and the probe`);
  const probeImage = await buildLabImages(docker, toBuild, id, flavor, signal);

  step('creating networks and containers');
  const networks = await createNetworks(docker, spec, id);
  const containers = new Map<string, Docker.Container>();
  const [apps, probe, proxies] = await Promise.all([
    settled(spec.apps.map((app) => createAppContainer(docker, id, networks, app, images.get(app.name)!))),
    createProbeContainer(docker, id, networks, probeImage),
    settled(proxiesOf(spec).map((proxy) => createProxyContainer(docker, id, networks, spec, proxy, images.get(PROXY_SERVICE[proxy])!))),
  ]);
  spec.apps.forEach((app, i) => containers.set(app.name, apps[i]!));
  containers.set(PROBE_SERVICE, probe);
  proxiesOf(spec).forEach((proxy, i) => containers.set(PROXY_SERVICE[proxy], proxies[i]!));
  signal?.throwIfAborted();

  // Apps first: the proxies resolve the apps' names when they start. One at a time, as the
  // engine counts each network's endpoints reliably only then (removeLabNetwork in network.ts).
  step('starting the apps');
  for (const container of [...spec.apps.map((a) => containers.get(a.name)!), probe]) await container.start();
  const deadline = Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_MS);
  const ctx = { docker, spec, containers, deadline, signal, dir: id.dir };
  step('waiting for the apps to answer');
  await waitForApps(ctx, probe);

  step('starting the proxies');
  for (const proxy of proxiesOf(spec)) await startProxy(docker, containers.get(PROXY_SERVICE[proxy])!);
  step('waiting for the proxies to answer');
  await waitForProxies(ctx);
}

/** Per service: its own image, built from its Dockerfile, or its base image with the recipe applied (recipe-files.ts). */
async function serviceImages(spec: LabSpec, dir: string, flavor: ImageFlavor): Promise<Map<string, ServiceImage>> {
  const bases = baseImages(flavor);
  const recipes = serviceRecipes(spec);
  const fromBase = await Promise.all(recipes.map((r) => runsFromBase(dir, r, flavor)));
  return new Map(recipes.map((recipe, i): [string, ServiceImage] => [recipe.service, fromBase[i] ? { built: false, base: bases[recipe.base], recipe } : { built: true }]));
}

async function startProxy(docker: Docker, container: Docker.Container): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    const port = portFromStartError(err instanceof Error ? err.message : String(err));
    if (port !== undefined) throw await portInUseError(docker, port);
    throw err;
  }
}

/** A running lab's readiness, checked again (`up` on a running lab, `inspect`). */
export async function waitUntilReady(docker: Docker, lab: string, spec: LabSpec, deadline: number, signal?: AbortSignal): Promise<void> {
  const entry = (await labContainers(docker, lab))[0];
  const containers = new Map([...(entry?.byService ?? new Map<string, Docker.ContainerInfo>())].map(([s, c]) => [s, docker.getContainer(c.Id)]));
  const ctx = { docker, spec, containers, deadline, signal };
  await waitForApps(ctx, containers.get(PROBE_SERVICE)!);
  await waitForProxies(ctx);
}
