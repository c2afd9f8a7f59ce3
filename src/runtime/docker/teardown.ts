/**
 * Removes what haplab made, found by label only: containers (with their anonymous volumes),
 * then networks, then labelled volumes, and on request the lab's own images. Anything
 * without the label is never touched, whatever its name.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { removeUnusedLayers, untaggedAncestors } from './image-layers.js';
import { LAB_BASE_PREFIX, LABEL_DIR, LABEL_LAB, LABEL_SERVICE, labFilter } from './labels.js';
import { removeLabNetwork } from './network.js';

export interface Removed {
  labs: Set<string>;
  /** Lab directories named by the removed objects (their state files can go too). */
  dirs: Set<string>;
  containers: number;
  networks: number;
  volumes: number;
  images: number;
}

/**
 * A network of this engine alone: the swarm runtime's overlay networks carry the same label
 * but are its own (src/runtime/swarm), taken down with their services, never by this runtime.
 */
export function isEngineScoped(network: Docker.NetworkInspectInfo): boolean {
  return network.Scope !== 'swarm';
}

/**
 * A container this runtime made: a swarm task carries its service's labels (io.haplab.lab
 * among them) but belongs to the swarm runtime, which removes it with its service.
 */
export function isEngineContainer(container: Docker.ContainerInfo): boolean {
  return !container.Labels['com.docker.swarm.service.id'];
}

const IMAGE_PASSES = 3;

const isLabBase = (image: Docker.ImageInfo): boolean => (image.Labels?.[LABEL_SERVICE] ?? '').startsWith(LAB_BASE_PREFIX);

const ignoreGone = (err: unknown): void => {
  const code = (err as { statusCode?: number }).statusCode;
  if (code !== 404 && code !== 409) throw err;
};

/** Removes one lab's objects (lab given) or every lab's (lab undefined). */
export async function removeByLabel(docker: Docker, lab: string | undefined, options: { images?: boolean } = {}): Promise<Removed> {
  const removed: Removed = { labs: new Set(), dirs: new Set(), containers: 0, networks: 0, volumes: 0, images: 0 };
  const note = (labels: Record<string, string> | undefined) => {
    if (labels?.[LABEL_LAB]) removed.labs.add(labels[LABEL_LAB]);
    if (labels?.[LABEL_DIR]) removed.dirs.add(labels[LABEL_DIR]);
  };
  const filters = labFilter(lab);

  const containers = (await docker.listContainers({ all: true, filters })).filter(isEngineContainer);
  // One at a time (see removeLabNetwork in network.ts): removing a container deletes its
  // endpoints, and the engine can lose count of them when several go at once.
  for (const c of containers) {
    note(c.Labels);
    // force: kill if running; v: its anonymous volumes go with it.
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone);
    removed.containers++;
  }

  // A network the engine will not remove does not stop the rest: everything else goes first,
  // then the first such network is reported.
  const networks = (await docker.listNetworks({ filters })).filter(isEngineScoped);
  let refused: EnvironmentError | undefined;
  for (const n of networks) {
    note(n.Labels);
    try {
      if (await removeLabNetwork(docker, n.Id, n.Name)) removed.networks++;
    } catch (err) {
      if (!(err instanceof EnvironmentError)) throw err;
      refused ??= err;
    }
  }

  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const v of volumes ?? []) {
    note(v.Labels ?? undefined);
    await docker.getVolume(v.Name).remove({ force: true }).catch(ignoreGone);
    removed.volumes++;
  }

  if (options.images) {
    // Listed again after each pass: a removal the engine refused while another lab's teardown
    // or build was touching a shared layer (409) gets another go once that is over.
    for (let pass = 0; pass < IMAGE_PASSES; pass++) {
      // The lab's own base copies last: the lab's other images stand on them.
      const images = (await docker.listImages({ filters }))
        .sort((a, b) => Number(isLabBase(a)) - Number(isLabBase(b)));
      if (images.length === 0) break;
      if (pass > 0) await new Promise((r) => setTimeout(r, 500 * pass));
      const layers = await untaggedAncestors(docker, images.map((i) => i.Id));
      for (const image of images) {
        note(image.Labels ?? undefined);
        await docker.getImage(image.Id).remove({ force: true }).then(() => removed.images++, ignoreGone);
      }
      await removeUnusedLayers(docker, layers);
    }
  }
  if (refused) throw refused;
  return removed;
}

/** Counts what carries the label (tests, status): containers, networks, volumes. */
export async function labelledObjects(docker: Docker, lab?: string): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = labFilter(lab);
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.filter(isEngineContainer).length, networks: networks.filter(isEngineScoped).length, volumes: volumes.Volumes?.length ?? 0 };
}
