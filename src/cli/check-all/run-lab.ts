/**
 * One episode of `check --all`: new → up → verify → down in a scratch directory, down
 * always (with the one-off lab's images), like `check EPISODE`. What went wrong before a
 * report existed is kept as the lab's error with the exit code the single check would give.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, HaplabError } from '../../errors.js';
import { loadEpisode } from '../../lab-schema/catalogue.js';
import { customizeSpec } from '../../lab-schema/customize.js';
import type { ImageFlavor, LabSpec, ProxyChoice } from '../../lab-schema/types.js';
import { proxiesOf, publishedPorts } from '../../render/compose.js';
import { writeLab } from '../../render/lab.js';
import type { Runtime } from '../../runtime/types.js';
import type { SuiteLab } from '../../verify/report/suite.js';
import { verifyRunningLab, type VerifyFlags } from '../report-output.js';

export interface LabRunOptions {
  runtime: Runtime;
  proxy?: ProxyChoice;
  /** --images: a pin; without it each up chooses what the machine has or can make. */
  images?: ImageFlavor;
  /** --requests, --seed, --chaos: as for one lab (the writers' flags are the suite's). */
  verify: Pick<VerifyFlags, 'requests' | 'seed' | 'chaos'>;
  signal: AbortSignal;
  onStep(step: string): void;
}

/** The spec the episode's lab is made from (its proxy as --proxy says). */
export async function episodeSpec(episode: string, proxy: ProxyChoice | undefined, images: ImageFlavor | undefined): Promise<LabSpec> {
  return customizeSpec(await loadEpisode(episode), { proxy, images });
}

/** What a lab holds on this host while it runs, for the scheduler: its published ports and its client subnet. */
export function labResources(spec: LabSpec): string[] {
  const ports = proxiesOf(spec).flatMap((p) => publishedPorts(spec, p).map((x) => `port:${x.host}`));
  return [...ports, ...(spec.clientSubnet ? [`subnet:${spec.clientSubnet}`] : [])];
}

/**
 * Labs whose checks depend on how fast servers answer under load: leastconn (the fast server
 * takes the excess), random (power-of-two-choices against plain random under concurrent
 * load, and load-free draws that a busy CPU leaves loaded), health checks (ep11: every 500 ms
 * a check that a busy machine can time out, taking a healthy server down) and --chaos
 * (failover timings). Beside another lab on a busy machine they could fail for the
 * neighbour's sake: they run alone.
 */
export function needsMachineAlone(spec: LabSpec, chaos: boolean): boolean {
  return chaos || spec.backends.some((b) => b.balance === 'leastconn' || b.balance === 'random' || b.healthCheck !== undefined);
}

const describeError = (err: unknown): { message: string; exitCode: number } =>
  err instanceof HaplabError ? { message: err.oneLine(), exitCode: err.exitCode } : { message: err instanceof Error ? err.message : String(err), exitCode: ExitCode.environment };

export async function runEpisode(episode: string, spec: LabSpec, o: LabRunOptions): Promise<SuiteLab> {
  const started = Date.now();
  const scratch = await mkdtemp(join(tmpdir(), `haplab-all-${episode}-`));
  const dir = join(scratch, `${episode}-all-${process.pid}`);
  const lab: SuiteLab = { episode, startedAt: new Date(started).toISOString(), durationMs: 0 };
  try {
    o.onStep('new');
    await writeLab(spec, dir);
    o.onStep('up');
    const instance = await o.runtime.up(dir, { signal: o.signal, onStep: (s) => o.onStep(`up: ${s}`) });
    o.onStep('verify');
    lab.report = await verifyRunningLab(o.runtime, instance, { ...o.verify, weightChange: true }, (s) => o.onStep(`verify: ${s}`));
  } catch (err) {
    lab.error = o.signal.aborted ? { message: 'interrupted', exitCode: ExitCode.interrupted } : describeError(err);
  } finally {
    o.onStep('down');
    await o.runtime.down(dir, { images: true }).catch((err: unknown) => {
      lab.error ??= { message: `down failed: ${describeError(err).message}`, exitCode: ExitCode.environment };
    });
    await rm(scratch, { recursive: true, force: true });
  }
  lab.durationMs = Date.now() - started;
  return lab;
}
