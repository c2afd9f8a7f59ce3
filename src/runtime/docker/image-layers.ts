/**
 * The untagged build layers beneath a lab's images. The engine's builder caches every step as
 * an image, and two labs whose apps share steps (same base, same instructions, same files)
 * share those images. Removing an image also removes its parents that no other image needs,
 * but the engine decides that per removal: when two labs are taken down at once, each can
 * see the other's image still standing on a shared layer, keep it, and the layer outlives
 * both as a dangling image. So teardown notes the layers first and, once the lab's images
 * are gone, removes any of them that nothing stands on any more.
 */
import type Docker from 'dockerode';

interface Layer {
  id: string;
  parent: string;
  tagged: boolean;
}

async function allImages(docker: Docker): Promise<Map<string, Layer>> {
  const images = await docker.listImages({ all: true });
  return new Map(images.map((i) => [i.Id, {
    id: i.Id,
    parent: i.ParentId ?? '',
    tagged: (i.RepoTags ?? []).some((t) => t !== '<none>:<none>') || (i.RepoDigests ?? []).some((d) => d !== '<none>@<none>'),
  }]));
}

/** For each image, its untagged ancestors, nearest first, up to the first tagged one (a base image). */
export async function untaggedAncestors(docker: Docker, ids: readonly string[]): Promise<string[][]> {
  const images = await allImages(docker);
  return ids.map((id) => {
    const chain: string[] = [];
    for (let layer = images.get(images.get(id)?.parent ?? ''); layer && !layer.tagged; layer = images.get(layer.parent)) {
      chain.push(layer.id);
    }
    return chain;
  });
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/**
 * Removes the layers of `chains` (from untaggedAncestors) that are still here, untagged, and
 * that no image stands on; a chain stops at the first layer something still needs (another
 * lab's image, a container). Returns how many went.
 */
export async function removeUnusedLayers(docker: Docker, chains: readonly string[][]): Promise<number> {
  const images = await allImages(docker);
  const children = new Map<string, number>();
  for (const layer of images.values()) children.set(layer.parent, (children.get(layer.parent) ?? 0) + 1);
  // Short ids (a build's " ---> 1a2b3c4d5e6f" lines) are found by prefix.
  const find = (id: string): Layer | undefined => images.get(id)
    ?? [...images.values()].find((l) => l.id.startsWith(`sha256:${id}`));
  let removed = 0;
  for (const chain of chains) {
    for (const ref of chain) {
      const layer = find(ref);
      if (!layer) continue; // the engine's own pruning took it
      const id = layer.id;
      if (layer.tagged || (children.get(id) ?? 0) > 0) break;
      try {
        await docker.getImage(id).remove({ noprune: true });
        removed++;
      } catch (err) {
        // 404: another teardown took it at the same moment (its parents are still ours to
        // look at); 409: something uses it after all.
        if (statusOf(err) === 409) break;
        if (statusOf(err) !== 404) throw err;
      }
      images.delete(id);
      children.set(layer.parent, (children.get(layer.parent) ?? 1) - 1);
    }
  }
  return removed;
}
