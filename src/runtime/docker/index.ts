/**
 * The docker runtime: labs as containers on an engine found like the Docker CLI
 * finds it, made and removed by label through dockerode only.
 */
import { resolve } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { PROXY_SERVICE, proxiesOf } from '../../render/compose.js';
import { labNameOf } from '../../render/lab.js';
import type { DownOptions, LabInstance, PartialLab, PreparationStep, Prober, Runtime, TeardownReport } from '../types.js';
import { disruptApp, resumeApp, setHealthFlag } from './disrupt.js';
import { findEngine } from './engine.js';
import { decideImages, imageFacts, preparationSteps } from '../images/plan.js';
import { instanceOf, labContainers, servicesOf } from './instance.js';
import { dirOf, LABEL_COMPOSE_DIR, LABEL_LAB, PROBE_SERVICE } from './labels.js';
import { createDockerProber } from './prober.js';
import { readLabState, removeLabState } from '../state.js';
import { isEngineContainer, isEngineScoped, removeByLabel, type Removed } from './teardown.js';
import { loadLab, upLab, type DockerUpOptions } from './up.js';

export { InterruptedError } from './up.js';
export type { DockerUpOptions } from './up.js';
export type { DownOptions } from '../types.js';

export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  /** A killed container's address vanishes: a connect to it waits for the connect timeout. */
  readonly stoppedApp = 'unanswered' as const;

  constructor(readonly docker: Docker, private readonly where: string) {}

  describe(): string {
    return `docker: ${this.where}`;
  }

  up(dir: string, options?: DockerUpOptions): Promise<LabInstance> {
    return upLab(this.docker, dir, options);
  }

  async inspect(dir: string): Promise<LabInstance | undefined> {
    const abs = resolve(dir);
    const lab = (await readLabState(abs).catch(() => undefined))?.lab ?? labNameOf(abs);
    const entry = (await labContainers(this.docker, lab))[0];
    if (!entry || (entry.dir && entry.dir !== abs)) return undefined;
    const spec = entry.spec ?? (await loadLab(abs)).spec;
    // Up means the proxies and the probe run; an app may be down on purpose (disrupt) or by accident.
    const needed = [...proxiesOf(spec).map((p) => PROXY_SERVICE[p]), PROBE_SERVICE];
    if (needed.some((s) => entry.byService.get(s)?.State !== 'running')) return undefined;
    const appsDown = spec.apps.map((a) => a.name).filter((s) => entry.byService.get(s)?.State !== 'running');
    return instanceOf(spec, lab, abs, appsDown.length ? [`not running: ${appsDown.join(', ')}`] : []);
  }

  /** Removes the lab's labelled objects (and with `images`, the images built for it). */
  async down(dir: string, options: DownOptions = {}): Promise<TeardownReport> {
    const abs = resolve(dir);
    const lab = (await readLabState(abs).catch(() => undefined))?.lab ?? labNameOf(abs);
    const entry = (await labContainers(this.docker, lab))[0];
    if (entry?.dir && entry.dir !== abs) {
      throw new EnvironmentError(`lab ${lab} on this engine belongs to ${entry.dir}, not ${abs}`, `run \`haplab down ${entry.dir}\` if that is the one to remove`);
    }
    const removed = await removeByLabel(this.docker, lab, options);
    await clearDockerState(abs);
    return this.report(removed);
  }

  async downAll(options: DownOptions = {}): Promise<TeardownReport> {
    const removed = await removeByLabel(this.docker, undefined, options);
    for (const dir of removed.dirs) await clearDockerState(dir);
    return this.report(removed);
  }

  private report(removed: Removed): TeardownReport {
    const parts = [`${removed.containers} containers`, `${removed.networks} networks`, `${removed.volumes} volumes`];
    if (removed.images) parts.push(`${removed.images} images`);
    return { labs: [...removed.labs].sort(), where: this.describe(), removed: parts.join(', ') };
  }

  async list(): Promise<LabInstance[]> {
    const instances: LabInstance[] = [];
    for (const entry of await labContainers(this.docker)) {
      if (!entry.spec) continue; // no proxy container yet: an `up` in progress, or its leftovers
      const notStarted = servicesOf(entry.spec).filter((s) => entry.byService.get(s)?.State !== 'running');
      const notes = notStarted.length ? [`not running: ${notStarted.join(', ')}`] : [];
      instances.push(instanceOf(entry.spec, entry.lab, entry.dir ?? '', notes));
    }
    return instances;
  }

  prober(instance: LabInstance): Promise<Prober> {
    return createDockerProber(this.docker, instance);
  }

  /** Labelled containers and networks of labs that `list` does not show as running. */
  async leftovers(): Promise<PartialLab[]> {
    const running = new Set((await this.list()).map((l) => l.lab));
    const filters = JSON.stringify({ label: [LABEL_LAB] });
    const byLab = new Map<string, { containers: string[]; networks: number; dir?: string; byCompose: boolean }>();
    const entry = (lab: string) => byLab.get(lab) ?? byLab.set(lab, { containers: [], networks: 0, byCompose: false }).get(lab)!;
    for (const c of (await this.docker.listContainers({ all: true, filters })).filter(isEngineContainer)) {
      const e = entry(c.Labels[LABEL_LAB]!);
      e.containers.push(c.State);
      e.dir ??= dirOf(c.Labels);
      e.byCompose ||= LABEL_COMPOSE_DIR in c.Labels;
    }
    for (const n of (await this.docker.listNetworks({ filters })).filter(isEngineScoped)) {
      const e = entry(n.Labels?.[LABEL_LAB] ?? '?');
      e.networks++;
      e.dir ??= dirOf(n.Labels);
    }
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    return [...byLab].filter(([lab]) => !running.has(lab)).map(([lab, e]) => ({
      lab, dir: e.dir,
      what: [
        e.containers.length ? `${plural(e.containers.length, 'container')} (${[...new Set(e.containers)].join(', ')})` : '',
        e.networks ? plural(e.networks, 'network') : '',
        // A lab run by hand from its docker-compose.yml: whole, but not haplab's to verify.
        e.byCompose ? 'started by docker compose' : '',
      ].filter(Boolean).join(', '),
    }));
  }

  async prepare(dir: string, options: { signal?: AbortSignal } = {}): Promise<PreparationStep[]> {
    const { spec } = await loadLab(dir);
    return preparationSteps(this.docker, spec.images, this.describe(), options.signal);
  }

  /**
   * Whether this engine can have base images for a lab, for `auto` to choose (select.ts):
   * `cannot` says why not (no images, no registry, and no way to build haplab's offline
   * ones here); `making` says what `up` will do first when they are not there yet.
   */
  async baseImageOutlook(): Promise<{ cannot?: string; making?: string }> {
    const decision = await decideImages(await imageFacts(this.docker));
    if (decision.flavor === undefined) return { cannot: `${decision.cannot} — ${decision.fix}` };
    return decision.action === 'present' ? {} : { making: decision.why };
  }

  disrupt(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void> {
    return disruptApp(this.docker, instance, app, how);
  }

  setAppHealthy(instance: LabInstance, app: string, healthy: boolean): Promise<void> {
    return setHealthFlag(this.docker, instance, app, healthy);
  }

  resume(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void> {
    return resumeApp(this.docker, instance, app, how);
  }
}

/** Removes the lab's state file when it is the docker runtime's (a local run's record is not ours to erase). */
async function clearDockerState(dir: string): Promise<void> {
  const state = await readLabState(dir).catch(() => undefined);
  if (state?.runtime === 'docker') await removeLabState(dir);
}

/** The docker runtime on the first engine that answers; EnvironmentError (exit 3) when none does. */
export async function createDockerRuntime(env: NodeJS.ProcessEnv = process.env): Promise<DockerRuntime> {
  const { docker, where } = await findEngine(env);
  return new DockerRuntime(docker, where);
}
