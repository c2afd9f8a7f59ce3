/** The base images a lab's Dockerfiles start from, per flavor (DESIGN §5). */
import type { ImageFlavor } from './types.js';

export interface BaseImages {
  python: string;
  haproxy: string;
  node: string;
}

export const OFFLINE_BASE_IMAGE = 'haplab/bookworm-base:1';
export const OFFLINE_NODE_IMAGE = 'haplab/bookworm-node:1';

export const BASE_IMAGES: Record<ImageFlavor, BaseImages> = {
  official: { python: 'python:3.12-slim', haproxy: 'haproxy:2.9', node: 'node:20-slim' },
  // Built by `haplab images --offline`: debootstrap'd bookworm with python3-flask, haproxy,
  // iproute2; the node image adds the host's own node binary.
  offline: { python: OFFLINE_BASE_IMAGE, haproxy: OFFLINE_BASE_IMAGE, node: OFFLINE_NODE_IMAGE },
};
