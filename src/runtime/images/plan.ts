/**
 * Which base images a lab builds from on this engine, and what must happen first: the
 * official ones where present or pullable, else haplab's offline ones — present, or built
 * here once (debootstrap) — else a one-line reason why neither can be had. A lab.yaml that
 * pins a flavor (`images:`) narrows the choice to it.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import type { ImageFlavor } from '../../lab-schema/types.js';
import { offlineBuildProblem, presentFlavors, registryProblem, type Problem } from './facts.js';
import { offlineImageSteps } from './offline.js';
import { officialImageSteps } from './official.js';
import type { ImageStep } from './steps.js';

/** What the decision needs; the probes are called only when the images are not there already. */
export interface ImageFacts {
  present: Record<ImageFlavor, boolean>;
  registry: () => Promise<Problem | undefined>;
  offlineBuild: () => Promise<Problem | undefined>;
}

export type ImageDecision =
  | { flavor: ImageFlavor; action: 'present' | 'pull' | 'build'; why: string }
  | { flavor?: undefined; cannot: string; fix: string };

export async function decideImages(facts: ImageFacts, pin?: ImageFlavor): Promise<ImageDecision> {
  const allowed: ImageFlavor[] = pin ? [pin] : ['official', 'offline'];
  for (const flavor of allowed) {
    if (facts.present[flavor]) return { flavor, action: 'present', why: `the ${flavor} base images are present` };
  }
  const problems: Problem[] = [];
  if (allowed.includes('official')) {
    const problem = await facts.registry();
    if (!problem) return { flavor: 'official', action: 'pull', why: 'the official base images are pulled first' };
    problems.push(problem);
  }
  if (allowed.includes('offline')) {
    const problem = await facts.offlineBuild();
    if (!problem) {
      const before = problems.length ? `${problems.map((p) => p.reason).join('; ')}: ` : '';
      return { flavor: 'offline', action: 'build', why: `${before}haplab's offline base images are built first, once (about 90 s)` };
    }
    problems.push({ reason: `cannot build haplab's offline images here: ${problem.reason}`, fix: problem.fix });
  }
  const which = pin ? `${pin} base images (lab.yaml pins images: ${pin})` : 'haplab base images';
  return { cannot: `has no ${which}, ${problems.map((p) => p.reason).join(', and ')}`, fix: problems.map((p) => p.fix).join('; or ') };
}

/** The facts of this engine and machine, probed lazily. */
export async function imageFacts(docker: Docker, env: NodeJS.ProcessEnv = process.env): Promise<ImageFacts> {
  return { present: await presentFlavors(docker), registry: () => registryProblem(docker), offlineBuild: () => offlineBuildProblem(env) };
}

export type BaseImagePlan = ImageDecision & { steps: ImageStep[] };

/** The decision and the steps that carry it out (none when the images are present). */
export async function planBaseImages(docker: Docker, options: { pin?: ImageFlavor; signal?: AbortSignal } = {}): Promise<BaseImagePlan> {
  const decision = await decideImages(await imageFacts(docker), options.pin);
  if (decision.flavor === undefined || decision.action === 'present') return { ...decision, steps: [] };
  const steps = decision.action === 'pull' ? officialImageSteps(docker) : offlineImageSteps(docker, { signal: options.signal });
  return { ...decision, steps };
}

/**
 * Makes the base images present (as planned above) and says which flavor the lab builds
 * from; EnvironmentError (exit 3) with the one-line reason when neither can be had.
 * `report` hears each step's title and progress.
 */
type EnsureOptions = { pin?: ImageFlavor; signal?: AbortSignal; report?: (line: string) => void };

/** One decision at a time in this process: labs brought up at once (check --all) must not build the same base images twice. */
let ensuring: Promise<unknown> = Promise.resolve();

export function ensureBaseImages(docker: Docker, options: EnsureOptions = {}): Promise<ImageDecision & { flavor: ImageFlavor }> {
  const next = ensuring.then(() => ensureNow(docker, options));
  ensuring = next.catch(() => undefined);
  return next;
}

async function ensureNow(docker: Docker, options: EnsureOptions): Promise<ImageDecision & { flavor: ImageFlavor }> {
  const plan = await planBaseImages(docker, options);
  if (plan.flavor === undefined) throw new EnvironmentError(`the Docker engine ${plan.cannot}`, plan.fix);
  const report = options.report ?? (() => undefined);
  for (const step of plan.steps) {
    if (await step.skip()) continue;
    report(step.title);
    await step.run((line) => report(`${step.title}: ${line}`));
    options.signal?.throwIfAborted();
  }
  return plan;
}

/** The steps a runtime's prepare() hands over for a lab: nothing when its base images are there, EnvironmentError when they cannot be made here. */
export async function preparationSteps(docker: Docker, pin: ImageFlavor | undefined, where: string, signal?: AbortSignal): Promise<BaseImagePlan['steps']> {
  const plan = await planBaseImages(docker, { pin, signal });
  if (plan.flavor === undefined) throw new EnvironmentError(`the Docker engine (${where}) ${plan.cannot}`, plan.fix);
  return plan.steps;
}
