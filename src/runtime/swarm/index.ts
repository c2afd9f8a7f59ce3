/**
 * The swarm runtime (`--runtime swarm`, never chosen by `auto`): a lab as swarm services on
 * an engine that is a swarm manager — apps, HAProxy and haplab's proxy, and the probe, on an
 * attachable overlay network, each proxy's haproxy.cfg a Docker config object; everything
 * labelled io.haplab.lab and removed by that label. haplab never initialises or leaves a
 * swarm: on an engine that is not a manager, `up` says how to make it one, and status/down
 * find nothing to do.
 */
import { resolve } from 'node:path';
import type Docker from 'dockerode';
import { labNameOf } from '../../render/lab.js';
import { PROXY_SERVICE, proxiesOf } from '../../render/compose.js';
import type { LabSpec } from '../../lab-schema/types.js';
import type { DownOptions, LabInstance, PartialLab, PreparationStep, Prober, Runtime, TeardownReport, UpOptions } from '../types.js';
import { findEngine } from '../docker/engine.js';
import { preparationSteps } from '../images/plan.js';
import { loadLab } from '../docker/up.js';
import { LABEL_SPEC } from '../docker/containers.js';
import { LABEL_DIR, LABEL_LAB, LABEL_SERVICE, PROBE_SERVICE } from '../docker/labels.js';
import { readLabState, removeLabState } from '../state.js';
import { isSwarmManager, labServices, removeSwarmObjects, type ListedService, type SwarmRemoved } from './objects.js';
import { createSwarmProber } from './prober.js';
import { servicesNotRunning } from './services.js';
import { swarmInstanceOf, upSwarmLab } from './up.js';

interface SwarmLab {
  lab: string;
  dir?: string;
  spec?: LabSpec;
  services: Set<string>;
}

function groupByLab(services: ListedService[]): SwarmLab[] {
  const labs = new Map<string, SwarmLab>();
  for (const s of services) {
    const name = s.labels[LABEL_LAB]!;
    const entry = labs.get(name) ?? labs.set(name, { lab: name, services: new Set() }).get(name)!;
    entry.dir ??= s.labels[LABEL_DIR];
    if (s.labels[LABEL_SERVICE]) entry.services.add(s.labels[LABEL_SERVICE]);
    if (s.labels[LABEL_SPEC] && !entry.spec) {
      try {
        entry.spec = JSON.parse(s.labels[LABEL_SPEC]) as LabSpec;
      } catch {
        // An unreadable label only costs status its detail.
      }
    }
  }
  return [...labs.values()].sort((a, b) => a.lab.localeCompare(b.lab));
}

export class SwarmRuntime implements Runtime {
  readonly kind = 'swarm' as const;
  /** A removed task's address goes with it: a connect waits for the connect timeout. */
  readonly stoppedApp = 'unanswered' as const;

  constructor(readonly docker: Docker, private readonly where: string) {}

  describe(): string {
    return `swarm: ${this.where}`;
  }

  up(dir: string, options?: UpOptions): Promise<LabInstance> {
    return upSwarmLab(this.docker, dir, options);
  }

  /** The labs on this swarm; none when the engine is not a manager. */
  private async labs(lab?: string): Promise<SwarmLab[]> {
    if (!(await isSwarmManager(this.docker))) return [];
    return groupByLab(await labServices(this.docker, lab));
  }

  /** Up means every service of the lab exists and the proxies and probe have a running task. */
  private async instance(entry: SwarmLab): Promise<LabInstance | undefined> {
    const spec = entry.spec;
    if (!spec) return undefined;
    const proxies = proxiesOf(spec).map((p) => PROXY_SERVICE[p]);
    const all = [...spec.apps.map((a) => a.name), ...proxies, PROBE_SERVICE];
    if (all.some((s) => !entry.services.has(s))) return undefined;
    const notRunning = await servicesNotRunning(this.docker, entry.lab, all).catch(() => all);
    if ([...proxies, PROBE_SERVICE].some((s) => notRunning.includes(s))) return undefined;
    return swarmInstanceOf(spec, entry.lab, entry.dir ?? '', notRunning.length ? [`not running: ${notRunning.join(', ')}`] : []);
  }

  async inspect(dir: string): Promise<LabInstance | undefined> {
    const abs = resolve(dir);
    const lab = (await readLabState(abs).catch(() => undefined))?.lab ?? labNameOf(abs);
    const entry = (await this.labs(lab))[0];
    if (!entry || (entry.dir && entry.dir !== abs)) return undefined;
    return this.instance(entry);
  }

  async list(): Promise<LabInstance[]> {
    const out: LabInstance[] = [];
    for (const entry of await this.labs()) {
      const instance = await this.instance(entry);
      if (instance) out.push(instance);
    }
    return out;
  }

  async leftovers(): Promise<PartialLab[]> {
    const running = new Set((await this.list()).map((l) => l.lab));
    return (await this.labs()).filter((e) => !running.has(e.lab)).map((e) => ({ lab: e.lab, dir: e.dir, what: `${e.services.size} swarm service${e.services.size === 1 ? '' : 's'}` }));
  }

  async down(dir: string, options: DownOptions = {}): Promise<TeardownReport> {
    const abs = resolve(dir);
    const lab = (await readLabState(abs).catch(() => undefined))?.lab ?? labNameOf(abs);
    const removed = (await isSwarmManager(this.docker)) ? await removeSwarmObjects(this.docker, lab, options) : emptyRemoval();
    await clearSwarmState(abs);
    return this.report(removed);
  }

  async downAll(options: DownOptions = {}): Promise<TeardownReport> {
    if (!(await isSwarmManager(this.docker))) return this.report(emptyRemoval());
    const removed = await removeSwarmObjects(this.docker, undefined, options);
    for (const dir of removed.dirs) await clearSwarmState(dir);
    return this.report(removed);
  }

  private report(removed: SwarmRemoved): TeardownReport {
    const parts = [`${removed.services} services`, `${removed.configs} configs`, `${removed.networks} networks`];
    if (removed.images) parts.push(`${removed.images} images`);
    if (removed.nodes.length) parts.push(`and their task containers${removed.images ? ' and images' : ''} on ${removed.nodes.sort().join(', ')}`);
    if (removed.unanswered.length) parts.push(`NOT cleared on ${removed.unanswered.sort().join(', ')} (the node's engine did not answer: run \`haplab down\` again once it is back)`);
    return { labs: [...removed.labs].sort(), where: this.describe(), removed: parts.join(', ') };
  }

  prober(instance: LabInstance): Promise<Prober> {
    return createSwarmProber(this.docker, instance);
  }

  /** The same base images as the docker runtime's, on this (manager) engine. */
  async prepare(dir: string, options: { signal?: AbortSignal } = {}): Promise<PreparationStep[]> {
    const { spec } = await loadLab(dir);
    return preparationSteps(this.docker, spec.images, this.describe(), options.signal);
  }
}

function emptyRemoval(): SwarmRemoved {
  return { labs: new Set(), dirs: new Set(), services: 0, configs: 0, networks: 0, images: 0, nodes: [], unanswered: [] };
}

/** Removes the lab's state file when it is the swarm runtime's (another runtime's record is not ours to erase). */
async function clearSwarmState(dir: string): Promise<void> {
  const state = await readLabState(dir).catch(() => undefined);
  if (state?.runtime === 'swarm') await removeLabState(dir);
}

/** The swarm runtime on the first engine that answers (a manager or not: up says what is missing). */
export async function createSwarmRuntime(env: NodeJS.ProcessEnv = process.env): Promise<SwarmRuntime> {
  const { docker, where } = await findEngine(env);
  return new SwarmRuntime(docker, where);
}
