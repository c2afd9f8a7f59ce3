/**
 * Images on every node, without a registry: the manager's engine builds a lab's app images;
 * haplab saves the ones a node lacks (one `docker save` of them all, so shared base layers
 * travel once) and loads them into that node's engine (its io.haplab.engine address,
 * nodes.ts). Images go by id: a task given an id runs the image of that id on its node,
 * where a tag would first be looked up in a registry. The loaded images keep their
 * io.haplab.lab label, so `down --images` finds and removes them on each node the same way.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { imageExists } from '../docker/build.js';
import { labFilter } from '../docker/labels.js';
import { nodeEngine, type SwarmNode } from './nodes.js';

const unreachable = (node: SwarmNode, err: unknown): EnvironmentError => new EnvironmentError(
  `node ${node.hostname}'s engine at ${node.engine} did not answer: ${err instanceof Error ? err.message : String(err)}`,
  `make its API reachable from here, or take the label off (docker node update --label-rm io.haplab.engine ${node.hostname}) so that no lab task goes there`,
);

/** Loads into `node` the images of `ids` it does not have; returns how many it took. */
export async function loadImagesOnto(source: Docker, node: SwarmNode, ids: string[], signal?: AbortSignal): Promise<number> {
  const target = nodeEngine(node);
  const missing: string[] = [];
  try {
    for (const id of ids) if (!(await imageExists(target, id))) missing.push(id);
  } catch (err) {
    throw unreachable(node, err);
  }
  if (missing.length === 0) return 0;
  // GET /images/get?names=…: one tar of them all (dockerode has it; its types do not).
  const exporter = source as unknown as { getImages(opts: { names: string[]; abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream> };
  const tar = await exporter.getImages({ names: missing, abortSignal: signal });
  const progress = await target.loadImage(tar, { abortSignal: signal } as unknown as Record<string, unknown>).catch((err: unknown) => {
    throw unreachable(node, err);
  });
  await new Promise<void>((resolve, reject) => {
    target.modem.followProgress(progress, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new EnvironmentError(`loading the lab's images into node ${node.hostname} failed: ${failed}`, 'see that engine\'s log; a full disk is the usual cause'));
      else resolve();
    });
  });
  for (const id of missing) {
    if (!(await imageExists(target, id))) throw new EnvironmentError(`node ${node.hostname}'s engine did not keep image ${id.slice(0, 19)} after loading it`);
  }
  return missing.length;
}

/** What is left of a lab on one node's own engine after its services were removed. */
export interface NodeLeftovers {
  containers: number;
  images: number;
}

/**
 * Waits (up to 30 s) until the node has no task container of the given services (a removed
 * service's tasks stop on their node a moment later), then, on request, removes the lab's
 * images there. An engine that does not answer is reported by the caller, not fatal.
 */
export async function clearNode(node: SwarmNode, serviceIds: string[], lab: string | undefined, options: { images?: boolean }): Promise<NodeLeftovers> {
  const engine = nodeEngine(node);
  const tasks = async () => (await engine.listContainers({ all: true, filters: { label: ['com.docker.swarm.service.id'] } }))
    .filter((c) => serviceIds.includes(c.Labels['com.docker.swarm.service.id'] ?? ''));
  for (let i = 0; i < 120 && (await tasks()).length > 0; i++) await new Promise((r) => setTimeout(r, 250));
  let images = 0;
  if (options.images) {
    for (const image of await engine.listImages({ filters: labFilter(lab) })) {
      await engine.getImage(image.Id).remove({ force: true }).catch((err: unknown) => {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      });
      images++;
    }
  }
  return { containers: (await tasks()).length, images };
}
