/**
 * The labels and names of everything the docker runtime makes. Every object carries
 * io.haplab.lab from the moment it is created, so `down` (and `down --all` after a killed
 * `up`) finds it by label alone, never by guessing names.
 */
import {
  clientNetworkName, containerName, imageTag, LABEL_EPISODE, LABEL_LAB, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, labNetworkName,
} from '../../render/compose.js';

// The names and labels docker-compose.yml gives too (render/compose.ts), so a lab run by hand is found and removed like one haplab ran.
export { clientNetworkName, containerName, imageTag, LABEL_EPISODE, LABEL_LAB, LABEL_ROLE, LABEL_RUN, LABEL_SERVICE, labNetworkName };

/** The lab directory a container was started from (status, and telling two same-named labs apart). */
export const LABEL_DIR = 'io.haplab.dir';
/**
 * Set by Compose (v2 and 1.29) on what `docker compose up` makes from the lab's
 * docker-compose.yml: the lab directory, where haplab's own runs say it with LABEL_DIR.
 */
export const LABEL_COMPOSE_DIR = 'com.docker.compose.project.working_dir';
/** On base and probe images, which are shared by every lab: what the image is for. */
export const LABEL_IMAGE = 'io.haplab.image';

export type Role = 'app' | 'haproxy' | 'ts' | 'probe' | 'network' | 'image' | 'config';

export interface LabIdentity {
  lab: string;
  episode: string;
  runId: string;
  dir: string;
}

/** The service label and tag of a lab's own copy of a base image (lab-images.ts): `haplab-LAB-base-python:latest`. */
export const LAB_BASE_PREFIX = 'base-';

export function labelsFor(id: LabIdentity, role: Role, service?: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL_LAB]: id.lab, [LABEL_EPISODE]: id.episode, [LABEL_ROLE]: role };
  // Images belong to the lab's name, not to one run or directory: with those labels every
  // `up` would make a new image and leave the last one dangling.
  if (role !== 'image') Object.assign(labels, { [LABEL_RUN]: id.runId, [LABEL_DIR]: id.dir });
  if (service) labels[LABEL_SERVICE] = service;
  return labels;
}

/** The engine's filter syntax: objects of one lab, or of any lab. */
/** The lab directory an object names: haplab's label, or Compose's when the lab was started by hand. */
export function dirOf(labels: Record<string, string> | undefined): string | undefined {
  return labels?.[LABEL_DIR] ?? labels?.[LABEL_COMPOSE_DIR];
}

export function labFilter(lab?: string): { label: string[] } {
  return { label: [lab ? `${LABEL_LAB}=${lab}` : LABEL_LAB] };
}

export const PROBE_SERVICE = 'probe';
