/**
 * Which base images a new lab should name on this engine when the user did not say:
 * the official ones where they are present, the offline ones where only those are (a
 * machine with no registry, after `haplab images --offline`).
 */
import type Docker from 'dockerode';
import { BASE_IMAGES } from '../../lab-schema/images.js';
import type { ImageFlavor } from '../../lab-schema/types.js';

async function present(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

export async function availableImageFlavor(docker: Docker): Promise<ImageFlavor | undefined> {
  for (const flavor of ['official', 'offline'] as const) {
    const images = Object.values(BASE_IMAGES[flavor]);
    if ((await Promise.all(images.map((i) => present(docker, i)))).every(Boolean)) return flavor;
  }
  return undefined;
}
