/**
 * The base images a lab's Dockerfiles start from, per flavor. A lab directory does not fix
 * its flavor: each Dockerfile takes its base as the build argument BASE_IMAGE (default: the
 * official image), and `haplab up` chooses per machine (src/runtime/images/plan.ts).
 */
import type { ImageFlavor } from './types.js';

export interface BaseImages {
  python: string;
  haproxy: string;
  node: string;
}

/** The build argument every generated Dockerfile takes its base image from. */
export const BASE_IMAGE_ARG = 'BASE_IMAGE';

/**
 * Where haplab's own shared images (the offline bases and the probe) are named; the
 * default is `haplab`. A test sets it to a throwaway name to build "absent" images without
 * touching the ones other labs use.
 */
export const IMAGE_NAMESPACE_ENV = 'HAPLAB_IMAGE_NAMESPACE';
const DEFAULT_NAMESPACE = 'haplab';

/**
 * The tag is the content's version: bump it whenever the debootstrap package list
 * (src/runtime/images/debootstrap.ts) changes, so that an image built from the old list is
 * never taken for the new one (`haplab images --offline` skips a tag that is present).
 * 2: python3-waitress added.
 */
const OFFLINE_VERSION = '2';

export const OFFICIAL_IMAGES: BaseImages = { python: 'python:3.12-slim', haproxy: 'haproxy:2.9', node: 'node:24-slim' };

/** The namespace of haplab's shared images: HAPLAB_IMAGE_NAMESPACE, when it is a valid Docker repository path. */
export function imageNamespace(env: NodeJS.ProcessEnv = process.env): string {
  const value = env[IMAGE_NAMESPACE_ENV]?.trim();
  // Docker's repository grammar: lowercase components joined by / with . _ - inside.
  return value && /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(value) ? value : DEFAULT_NAMESPACE;
}

/**
 * The offline images, built by `haplab images --offline` (or by `up` when no registry
 * answers): a debootstrap'd bookworm with python3-flask, python3-waitress, haproxy and
 * iproute2; the node image adds the host's own node binary.
 */
export function offlineImages(env: NodeJS.ProcessEnv = process.env): { base: string; node: string } {
  const ns = imageNamespace(env);
  return { base: `${ns}/bookworm-base:${OFFLINE_VERSION}`, node: `${ns}/bookworm-node:${OFFLINE_VERSION}` };
}

export function baseImages(flavor: ImageFlavor, env: NodeJS.ProcessEnv = process.env): BaseImages {
  if (flavor === 'official') return OFFICIAL_IMAGES;
  const { base, node } = offlineImages(env);
  return { python: base, haproxy: base, node };
}
