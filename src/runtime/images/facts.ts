/**
 * What this machine offers for base images, each found out with a bounded wait: which
 * flavors the engine already has, whether an image registry answers it, whether haplab's
 * offline images can be built here. `up` decides from these (plan.ts), `doctor` shows them.
 */
import type Docker from 'dockerode';
import { baseImages, OFFICIAL_IMAGES } from '../../lab-schema/images.js';
import type { ImageFlavor } from '../../lab-schema/types.js';
import { imageExists } from '../docker/build.js';
import { debianMirror } from './apt-mirror.js';
import { findDebootstrap, SUITE } from './debootstrap.js';

/** A reason something cannot be done, with the step that fixes it. */
export interface Problem {
  reason: string;
  fix: string;
}

export const REGISTRY_TIMEOUT_MS = 10_000;
export const MIRROR_TIMEOUT_MS = 5_000;

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^\(HTTP code \d+\)[^-]*-\s*/, '').trim();
}

async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The flavors whose every base image the engine has. */
export async function presentFlavors(docker: Docker): Promise<Record<ImageFlavor, boolean>> {
  const has = async (flavor: ImageFlavor) => (await Promise.all([...new Set(Object.values(baseImages(flavor)))].map((i) => imageExists(docker, i)))).every(Boolean);
  const [official, offline] = await Promise.all([has('official'), has('offline')]);
  return { official, offline };
}

/**
 * Whether the engine can pull the official images: it asks the registry for one image's
 * manifest (the engine's /distribution endpoint), which downloads no layers.
 */
export async function registryProblem(docker: Docker, timeoutMs = REGISTRY_TIMEOUT_MS): Promise<Problem | undefined> {
  const image = OFFICIAL_IMAGES.python;
  try {
    await within(timeoutMs, 'the registry', docker.getImage(image).distribution());
    return undefined;
  } catch (err) {
    return {
      reason: `cannot pull ${image} (${firstLine(err)})`,
      fix: 'give the engine access to a registry (or a registry mirror in /etc/docker/daemon.json)',
    };
  }
}

/**
 * Why `debootstrap` cannot make the offline base here, or undefined when it can: it needs
 * root, the program, and a Debian mirror that answers (the one apt uses, or
 * HAPLAB_DEBIAN_MIRROR).
 */
export async function offlineBuildProblem(env: NodeJS.ProcessEnv = process.env, timeoutMs = MIRROR_TIMEOUT_MS): Promise<Problem | undefined> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { reason: `debootstrap needs root and haplab runs as uid ${process.getuid()}`, fix: 'run `sudo haplab images --offline` once' };
  }
  try {
    findDebootstrap(env);
  } catch {
    return { reason: 'debootstrap is not installed', fix: 'install it (`sudo apt-get install debootstrap`)' };
  }
  let mirror: string;
  try {
    mirror = debianMirror(SUITE, env);
  } catch (err) {
    return { reason: firstLine(err), fix: `set HAPLAB_DEBIAN_MIRROR to a Debian mirror URL that carries ${SUITE}` };
  }
  return mirrorProblem(mirror, env, timeoutMs);
}

/** A HEAD of the suite's Release file. Behind an HTTP proxy only debootstrap knows the way: not asked then. */
async function mirrorProblem(mirror: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Problem | undefined> {
  if (!/^https?:\/\//.test(mirror) || env.http_proxy || env.HTTP_PROXY) return undefined;
  const url = `${mirror.replace(/\/+$/, '')}/dists/${SUITE}/Release`;
  const fix = `make ${mirror} reachable, or set HAPLAB_DEBIAN_MIRROR to a mirror that is`;
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? undefined : { reason: `the Debian mirror answers ${response.status} for ${url}`, fix };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { reason: `the Debian mirror ${mirror} does not answer (${cause ?? firstLine(err)})`, fix };
  }
}
