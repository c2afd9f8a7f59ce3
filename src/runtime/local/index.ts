/**
 * The local runtime: a lab as child processes on loopback — Flask or Node
 * replicas for the apps, HAProxy or haplab's TypeScript proxy in front — each in its own
 * process group, recorded in the lab directory and in the user's registry before it is
 * spawned, so `down` and `down --all` work from any later haplab process, even after
 * the `up` that started them was killed.
 */
import { resolve, join } from 'node:path';
import { EnvironmentError } from '../../errors.js';
import { labNameOf } from '../../render/lab.js';
import { loadSpecFile } from '../../lab-schema/load.js';
import { normalizeSpec } from '../../lab-schema/normalize.js';
import type { LabSpec } from '../../lab-schema/types.js';
import { newRunId, readLabState, writeLabState, type LabState } from '../state.js';
import type { DownOptions, LabInstance, PartialLab, PreparationStep, Prober, Runtime, TeardownReport, UpOptions } from '../types.js';
import { disruptApp, resumeApp, setHealthFlag } from './faults.js';
import { runAlive, startRun, stopRun, type RunRef } from './lifecycle.js';
import { groupAlive } from './processes.js';
import { PORT_TAKEN, StartFailure } from './readiness.js';
import { resolveLocalOptions, type LocalRuntimeOptions, type ResolvedLocalOptions } from './options.js';
import { adminSocketOf, planLocalRun, type LocalPlan } from './plan.js';
import { HostProber } from '../shared/host-prober.js';
import { findByEnviron, hasProcfs } from './procfs.js';
import { ENV_DIR, ENV_REGISTRY, ENV_RUN, registeredRuns, runsOfDir, saveRun, type LocalRun } from './run-record.js';
import { detectTools, type LocalTools } from './tools.js';
import { checkLabCertificates } from '../shared/lab-certificates.js';

export { UnreachableSubnetError, loopbackAddresses } from '../shared/loopback-addresses.js';
export type { LocalRuntimeOptions } from './options.js';

/** readyTimeoutMs overrides the runtime's readiness timeout for this `up` (the CLI's --timeout). */
export type LocalUpOptions = UpOptions;

/** Starts tried when ports keep being lost to other programs between check and bind. */
const PORT_RACE_ATTEMPTS = 3;

export function createLocalRuntime(options: LocalRuntimeOptions = {}): LocalRuntime {
  return new LocalRuntime(resolveLocalOptions(options));
}

function toInstance(run: LocalRun): LabInstance {
  return { lab: run.lab, runtime: 'local', dir: run.dir, spec: run.spec, endpoints: run.endpoints, stats: run.stats, proxyConfigs: run.proxyConfigs ?? [], notes: run.notes };
}

function stateOf(run: LocalRun): LabState {
  return {
    version: 1, runtime: 'local', lab: run.lab, runId: run.runId, episode: run.spec.id, createdAt: run.createdAt,
    phase: run.phase, endpoints: run.endpoints, stats: run.stats, notes: run.notes,
  };
}

export class LocalRuntime implements Runtime {
  readonly kind = 'local' as const;
  /** A stopped app's port is closed: a connect is refused at once. */
  readonly stoppedApp = 'refused' as const;
  private tools?: Promise<LocalTools>;

  constructor(readonly options: ResolvedLocalOptions) {}

  describe(): string {
    return `local: child processes on 127.0.0.1 (registry ${this.options.registryDir})`;
  }

  private detect(): Promise<LocalTools> {
    this.tools ??= detectTools();
    return this.tools;
  }

  /** The run of `dir` that is fully up, if any. */
  private async liveRun(dir: string): Promise<LocalRun | undefined> {
    const runs = await runsOfDir(this.options.registryDir, dir);
    return runs.find((r) => r.phase === 'running' && runAlive(r));
  }

  async up(dirArg: string, options: LocalUpOptions = {}): Promise<LabInstance> {
    const dir = resolve(dirArg);
    const spec = normalizeSpec(await loadSpecFile(join(dir, 'lab.yaml')));
    const state = await readLabState(dir);
    if (state?.runtime === 'docker') {
      throw new EnvironmentError(`lab ${state.lab} is held by the docker runtime (run ${state.runId})`, `run haplab down ${dirArg} first`);
    }
    const running = await this.liveRun(dir);
    if (running) {
      options.onStep?.('already running: nothing changed');
      return toInstance(running);
    }
    await checkLabCertificates(dir, spec);
    // Leftovers of a run that died or was killed mid-up: cleared before ports are chosen.
    for (const stale of await runsOfDir(this.options.registryDir, dir)) await stopRun(stale, this.options.stopGraceMs);
    // Another program may take a port between our check and the process's bind: then the
    // next plan sees it taken and moves it. A few rounds, then say so on one line.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.start(dir, spec, options);
      } catch (err) {
        if (!(err instanceof StartFailure && err.portTaken)) throw err;
        if (attempt === PORT_RACE_ATTEMPTS) {
          const said = err.message.split('\n').find((l) => PORT_TAKEN.test(l))?.trim();
          throw new EnvironmentError(
            `other programs took a port of lab ${labNameOf(dir)} between haplab's check and the bind, ${attempt} times in a row (${err.message.split(';')[0]}${said ? `: ${said}` : ''})`,
            'free the lab\'s ports (see ss -ltnp) or change them in lab.yaml, then run up again',
          );
        }
        options.onStep?.('a port was taken while starting; choosing ports again');
      }
    }
  }

  private async start(dir: string, spec: LabSpec, options: LocalUpOptions): Promise<LabInstance> {
    options.onStep?.('choosing apps, proxy and ports');
    const plan = await planLocalRun(spec, dir, await this.detect(), this.options);
    try {
      return await this.startPlanned(dir, spec, plan, options);
    } finally {
      // The processes hold the ports now, or failed to start: other labs of this process may take them.
      plan.releasePorts();
    }
  }

  private async startPlanned(dir: string, spec: LabSpec, plan: LocalPlan, options: LocalUpOptions): Promise<LabInstance> {
    const run: LocalRun = {
      version: 1, runId: newRunId(), lab: labNameOf(dir), dir, createdAt: new Date().toISOString(),
      registryDir: this.options.registryDir, phase: 'starting', spec,
      processes: plan.processes, endpoints: plan.endpoints, stats: plan.stats, proxyConfigs: plan.proxyConfigs, notes: plan.notes,
    };
    // Recorded before anything is spawned: a haplab killed from here on leaves a trail.
    await saveRun(run);
    await writeLabState(dir, stateOf(run));
    try {
      await startRun(run, { signal: options.signal, onStep: options.onStep, readyTimeoutMs: options.readyTimeoutMs ?? this.options.readyTimeoutMs });
    } catch (err) {
      await stopRun(run, this.options.stopGraceMs).catch(() => undefined);
      throw err;
    }
    await writeLabState(dir, stateOf(run));
    return toInstance(run);
  }

  async inspect(dir: string): Promise<LabInstance | undefined> {
    const run = await this.liveRun(resolve(dir));
    return run ? toInstance(run) : undefined;
  }

  /** Stops the lab's processes (`images` does not apply: nothing is built). */
  async down(dirArg: string, _options: DownOptions = {}): Promise<TeardownReport> {
    const dir = resolve(dirArg);
    const removed = await this.stopAll(await runsOfDir(this.options.registryDir, dir));
    removed.push(...(await this.stopAll(this.orphans(dir))));
    return { labs: [...new Set(removed)], where: 'local processes' };
  }

  async downAll(_options: DownOptions = {}): Promise<TeardownReport> {
    const removed = await this.stopAll(await registeredRuns(this.options.registryDir));
    // Then processes whose records are gone (deleted by hand, or a crash before the first
    // write completed): they still carry the registry's marker in their environment.
    removed.push(...(await this.stopAll(this.orphans())));
    return { labs: [...new Set(removed)], where: 'local processes' };
  }

  /** Stops every run, going on past one that fails, and reports all failures at the end. */
  private async stopAll(runs: (RunRef & { lab: string })[]): Promise<string[]> {
    const removed = new Set<string>();
    const failures: string[] = [];
    for (const run of runs) {
      try {
        await stopRun(run, this.options.stopGraceMs);
        removed.add(run.lab);
      } catch (err) {
        failures.push(`${run.lab}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failures.length > 0) throw new EnvironmentError(`could not take down ${failures.join('; ')}`, 'see ps -o pid,pgid,cmd and ss -ltnp');
    return [...removed];
  }

  /** Runs known only from /proc, by the markers in their processes' environment (of `dir` only, when given). */
  private orphans(dir?: string): (RunRef & { lab: string })[] {
    if (!hasProcfs) return [];
    const byRun = new Map<string, RunRef & { lab: string }>();
    const found = findByEnviron((env) => env.get(ENV_REGISTRY) === this.options.registryDir && env.has(ENV_RUN) && (dir === undefined || env.get(ENV_DIR) === dir));
    for (const p of found) {
      const runId = p.env.get(ENV_RUN)!;
      const runDir = p.env.get(ENV_DIR) ?? '';
      if (!byRun.has(runId)) byRun.set(runId, { runId, dir: runDir, lab: labNameOf(runDir), registryDir: this.options.registryDir, processes: [] });
    }
    return [...byRun.values()];
  }

  async list(): Promise<LabInstance[]> {
    const runs = await registeredRuns(this.options.registryDir);
    return runs.filter((r) => r.phase === 'running' && runAlive(r)).map(toInstance);
  }

  /**
   * Registered runs that are not whole: an `up` that never finished, or a lab some of whose
   * processes are gone. Processes still alive are counted: `down` ends them.
   */
  async leftovers(): Promise<PartialLab[]> {
    const runs = await registeredRuns(this.options.registryDir);
    return runs.filter((r) => !(r.phase === 'running' && runAlive(r))).map((r) => {
      const alive = r.processes.filter((p) => p.pid !== undefined && groupAlive(p.pid)).length;
      return { lab: r.lab, dir: r.dir, what: `a ${r.phase === 'starting' ? 'start that never finished' : 'run with processes gone'}, ${alive} of ${r.processes.length} processes alive` };
    });
  }

  async prober(instance: LabInstance): Promise<Prober> {
    const proxies = [...new Set(instance.endpoints.map((e) => e.proxy))];
    return new HostProber(instance, undefined, Object.fromEntries(proxies.map((p) => [p, adminSocketOf(instance.dir, p)])));
  }

  /** Nothing is built: the lab's Dockerfiles and their base images are not used here. */
  async prepare(): Promise<PreparationStep[]> {
    return [];
  }

  async disrupt(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void> {
    await disruptApp(this.options, instance.dir, app, how);
  }

  async setAppHealthy(instance: LabInstance, app: string, healthy: boolean): Promise<void> {
    await setHealthFlag(instance, app, healthy);
  }

  async resume(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void> {
    await resumeApp(this.options, instance.dir, app, how);
  }
}
