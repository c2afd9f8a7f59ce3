/** The base images every lab builds on: pulled (official) or built here (offline, docs/architecture.md). */
import type Docker from 'dockerode';
import { offlineImageSteps } from './offline.js';
import { officialImageSteps } from './official.js';
import type { ImageStep } from './steps.js';

export type { ImageStep } from './steps.js';
export { officialImages } from './official.js';

export function baseImageSteps(docker: Docker, options: { offline: boolean; force?: boolean; signal?: AbortSignal }): ImageStep[] {
  return options.offline ? offlineImageSteps(docker, options) : officialImageSteps(docker, options);
}
