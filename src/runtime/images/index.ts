/** The base images every lab builds on: pulled (official) or built here (offline). */
import type Docker from 'dockerode';
import { findEngine } from '../docker/engine.js';
import { offlineImageSteps } from './offline.js';
import { officialImageSteps } from './official.js';
import type { ImageStep } from './steps.js';

export type { ImageStep } from './steps.js';
export { officialImages } from './official.js';

export function baseImageSteps(docker: Docker, options: { offline: boolean; force?: boolean; signal?: AbortSignal }): ImageStep[] {
  return options.offline ? offlineImageSteps(docker, options) : officialImageSteps(docker, options);
}

/**
 * `haplab images`: the steps that make the base images present on the first engine that
 * answers (EnvironmentError, exit 3, when none does), and where that engine was found.
 */
export async function baseImagePlan(options: { offline: boolean; force?: boolean; signal?: AbortSignal }): Promise<{ where: string; steps: ImageStep[] }> {
  const { docker, where } = await findEngine();
  return { where, steps: baseImageSteps(docker, options) };
}
