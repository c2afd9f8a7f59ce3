/**
 * The probe's image: a Node base image plus only what the probe agent runs — haplab's
 * compiled dist/src/probe and the two modules it imports, no package from node_modules.
 * Tagged by a hash of its contents, so it is built once per haplab
 * build and shared by every lab; labelled so `docker images --filter label=io.haplab.image`
 * finds it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { distDir } from '../../paths.js';
import { baseImages, imageNamespace } from '../../lab-schema/images.js';
import type { ImageFlavor } from '../../lab-schema/types.js';
import { buildImage, imageExists } from './build.js';
import { LABEL_IMAGE } from './labels.js';

/** Where the agent lives inside the probe image. */
export const AGENT_PATH = '/haplab/dist/src/probe/agent.js';
// The probe imports only Node's own modules besides these: no node_modules in the image.
const COMPILED = ['src/probe', 'src/runtime/types.js', 'src/lab-schema/types.js'];

function dockerfile(flavor: ImageFlavor): string {
  const lines = [`FROM ${baseImages(flavor).node}`];
  // The offline base has iproute2; the official node slim image needs it for `ip addr add`.
  if (flavor === 'official') lines.push('RUN apt-get update && apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*');
  lines.push('COPY haplab/ /haplab/', 'WORKDIR /haplab', '# Idles; the runtime execs the agent for each batch.', 'CMD ["sleep", "infinity"]', '');
  return lines.join('\n');
}

async function assembleContext(dir: string, flavor: ImageFlavor): Promise<void> {
  const root = join(dir, 'haplab');
  for (const rel of COMPILED) {
    const source = join(distDir, rel);
    if (!existsSync(source)) throw new EnvironmentError(`haplab's compiled probe is missing (${source})`, 'run `npm run build` in the haplab package');
    await cp(source, join(root, 'dist', rel), { recursive: true, filter: (f) => !f.endsWith('.map') });
  }
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(dir, 'Dockerfile'), dockerfile(flavor));
}

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const names = (await readdir(dir, { recursive: true })).sort();
  for (const name of names) {
    const file = join(dir, name);
    if (!(await stat(file)).isFile()) continue;
    hash.update(name).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** In haplab's image namespace (HAPLAB_IMAGE_NAMESPACE), like the offline bases it builds on. */
const probeRepository = (): string => `${imageNamespace()}/probe`;

/** The probe image for this flavor, built if the engine does not have it yet. */
export async function ensureProbeImage(docker: Docker, flavor: ImageFlavor, signal?: AbortSignal): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), 'haplab-probe-'));
  try {
    await mkdir(context, { recursive: true });
    await assembleContext(context, flavor);
    const tag = `${probeRepository()}:${flavor}-${await hashTree(context)}`;
    if (!(await imageExists(docker, tag))) {
      await buildImage(docker, { contextDir: context, tag, labels: { [LABEL_IMAGE]: 'probe' }, signal });
      await pruneOldProbeImages(docker, flavor, tag);
    }
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Probe images of earlier haplab builds are dead weight once a new one exists; those still in use stay. */
async function pruneOldProbeImages(docker: Docker, flavor: ImageFlavor, keep: string): Promise<void> {
  const images = await docker.listImages({ filters: { label: [`${LABEL_IMAGE}=probe`] } });
  for (const image of images) {
    const tags = image.RepoTags ?? [];
    if (tags.includes(keep) || !tags.some((t) => t.startsWith(`${probeRepository()}:${flavor}-`))) continue;
    await docker.getImage(image.Id).remove().catch(() => undefined);
  }
}
