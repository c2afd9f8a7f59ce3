/** The base images a lab's Dockerfiles start from, per flavor (docs/architecture.md). */
import type { ImageFlavor } from './types.js';

export interface BaseImages {
  python: string;
  haproxy: string;
  node: string;
}

/**
 * The tag is the content's version: bump it whenever the debootstrap package list
 * (src/runtime/images/debootstrap.ts) changes, so that an image built from the old list is
 * never taken for the new one (`haplab images --offline` skips a tag that is present).
 * 2: python3-waitress added.
 */
export const OFFLINE_BASE_IMAGE = 'haplab/bookworm-base:2';
export const OFFLINE_NODE_IMAGE = 'haplab/bookworm-node:2';

export const BASE_IMAGES: Record<ImageFlavor, BaseImages> = {
  official: { python: 'python:3.12-slim', haproxy: 'haproxy:2.9', node: 'node:24-slim' },
  // Built by `haplab images --offline`: debootstrap'd bookworm with python3-flask,
  // python3-waitress, haproxy, iproute2; the node image adds the host's own node binary.
  offline: { python: OFFLINE_BASE_IMAGE, haproxy: OFFLINE_BASE_IMAGE, node: OFFLINE_NODE_IMAGE },
};
