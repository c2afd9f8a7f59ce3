/**
 * A lab's images, for the docker and swarm runtimes' `up`: the apps, the proxies and the
 * probe, built side by side (the docker runtime builds only the services it cannot make from
 * their base, recipe-files.ts).
 *
 * Every image of a lab is built on the lab's own copy of its base (`FROM base` plus the
 * lab's labels: a new image id, tagged and labelled with the lab). The engine's build cache
 * keys a step by its parent image, so two labs never share a layer: one lab's teardown
 * cannot remove a layer another lab's build has just taken from the cache ("unknown parent
 * image ID", seen with `check --all -j 2`), nor can two teardowns each keep a shared layer
 * for the other. Within a lab the apps still share their first step
 * (templates/Dockerfile.app.eta): one app is built first, the others take that step from the
 * cache instead of running it at once on the same cores.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { ServiceRecipe } from '../../render/recipes.js';
import { BASE_IMAGE_ARG, baseImages, type BaseImages } from '../../lab-schema/images.js';
import type { ImageFlavor } from '../../lab-schema/types.js';
import { buildImage } from './build.js';
import { imageTag, LAB_BASE_PREFIX, labelsFor, type LabIdentity } from './labels.js';
import { ensureProbeImage } from './probe-image.js';

/**
 * Promise.all that waits for every call to end before it throws the first failure: a failed
 * `up` removes by label, and an image or container still being made then would outlive it.
 */
export async function settled<T>(calls: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(calls);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** The lab's copy of one base image (see the file's comment). */
async function labBase(docker: Docker, id: LabIdentity, kind: keyof BaseImages, image: string, signal?: AbortSignal): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), 'haplab-lab-base-'));
  try {
    await writeFile(join(context, 'Dockerfile'), `FROM ${image}\n`);
    const tag = imageTag(id.lab, `${LAB_BASE_PREFIX}${kind}`);
    await buildImage(docker, { contextDir: context, tag, labels: labelsFor(id, 'image', `${LAB_BASE_PREFIX}${kind}`), signal });
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Builds these services' images (every one of the lab for the swarm) and the probe's; returns the probe's image. */
export async function buildLabImages(docker: Docker, images: ServiceRecipe[], id: LabIdentity, flavor: ImageFlavor, signal?: AbortSignal): Promise<string> {
  const upstream = baseImages(flavor);
  const kinds = [...new Set(images.map((i) => i.base))];
  const probe = ensureProbeImage(docker, flavor, signal);
  const build = async () => {
    if (images.length === 0) return;
    const tags = await settled(kinds.map((k) => labBase(docker, id, k, upstream[k], signal)));
    const bases = new Map(kinds.map((k, i) => [k, tags[i]!]));
    const one = (s: ServiceRecipe) => buildImage(docker, {
      contextDir: join(id.dir, s.context), tag: imageTag(id.lab, s.service), labels: labelsFor(id, 'image', s.service), signal,
      buildArgs: { [BASE_IMAGE_ARG]: bases.get(s.base)! },
    });
    const [firstApp, ...otherApps] = images.filter((s) => s.base === 'python');
    const apps = firstApp ? one(firstApp).then(() => settled(otherApps.map(one))) : Promise.resolve([]);
    await settled<unknown>([apps, ...images.filter((s) => s.base !== 'python').map(one)]);
  };
  await settled<unknown>([probe, build()]).finally(() => signal?.throwIfAborted());
  return probe;
}
