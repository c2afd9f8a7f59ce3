/**
 * `haplab images --offline` (and `up` where no registry answers): the base images are
 * made here. The base (src/lab-schema/images.ts offlineImages) is a debootstrap'd bookworm (debootstrap.ts PACKAGES: Flask, waitress, HAProxy, iproute2)
 * loaded with the engine's image import; the node image adds the host's own node binary
 * (Debian's glibc on both sides, so it runs as is).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { offlineImages } from '../../lab-schema/images.js';
import { buildImage, imageExists } from '../docker/build.js';
import { LABEL_IMAGE } from '../docker/labels.js';
import { debianMirror } from './apt-mirror.js';
import { debootstrap, PACKAGES, SUITE } from './debootstrap.js';
import type { ImageStep } from './steps.js';

export function offlineImageSteps(docker: Docker, options: { force?: boolean; signal?: AbortSignal } = {}): ImageStep[] {
  const { base, node } = offlineImages();
  const present = async (image: string) => (!options.force && (await imageExists(docker, image)) ? `${image} is already there` : false);
  return [
    {
      title: `${base}: debootstrap ${SUITE} (${PACKAGES.join(', ')}) and import`,
      skip: () => present(base),
      run: (report) => buildBaseImage(docker, base, report, options.signal),
    },
    {
      title: `${node}: ${base} + this host's node (${process.version})`,
      skip: () => present(node),
      run: (report) => buildNodeImage(docker, base, node, report, options.signal),
    },
  ];
}

async function buildBaseImage(docker: Docker, image: string, report: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const mirror = debianMirror(SUITE);
  const work = await mkdtemp(join(tmpdir(), 'haplab-rootfs-'));
  const root = join(work, 'root');
  try {
    report(`debootstrap from ${mirror} (about 95 s)`);
    await debootstrap({ target: root, mirror, onLine: report, signal });
    // Downloaded packages and indexes are dead weight in the image.
    await rm(join(root, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    await rm(join(root, 'var', 'lib', 'apt', 'lists'), { recursive: true, force: true });
    report('importing the root into the engine');
    await importRoot(docker, root, image, signal);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** tar of the root (GNU tar keeps owners, device files and hard links) streamed into the engine's image import. */
async function importRoot(docker: Docker, root: string, image: string, signal?: AbortSignal): Promise<void> {
  const [repo, tag] = image.split(':') as [string, string];
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '--exclude=./proc/*', '--exclude=./sys/*', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let tarErr = '';
  tar.stderr.on('data', (d: Buffer) => (tarErr += d.toString()));
  const tarDone = new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', resolve);
  });
  const stream = await docker.importImage(tar.stdout, {
    repo,
    tag,
    changes: [`LABEL ${LABEL_IMAGE}=base`, 'CMD ["bash"]', 'ENV LANG=C.UTF-8'],
  } as unknown as Record<string, string>);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new EnvironmentError(`importing ${image} failed: ${failed}`));
      else resolve();
    });
  });
  const code = await tarDone;
  if (code !== 0) throw new EnvironmentError(`packing the debootstrap root failed (tar exit ${code}): ${tarErr.trim().split('\n').pop() ?? ''}`);
  if (!(await imageExists(docker, image))) throw new EnvironmentError(`the engine did not keep ${image} after importing it`);
}

async function buildNodeImage(docker: Docker, base: string, image: string, report: (line: string) => void, signal?: AbortSignal): Promise<void> {
  if (!(await imageExists(docker, base))) {
    throw new EnvironmentError(`${base} is missing`, 'run `haplab images --offline --force`');
  }
  const context = await mkdtemp(join(tmpdir(), 'haplab-node-image-'));
  try {
    await copyFile(process.execPath, join(context, 'node'));
    await writeFile(join(context, 'Dockerfile'), [
      `FROM ${base}`,
      '# The host\'s own node binary: bookworm glibc on both sides.',
      'COPY node /usr/local/bin/node',
      'RUN node --version',
      'CMD ["node"]',
      '',
    ].join('\n'));
    await buildImage(docker, { contextDir: context, tag: image, labels: { [LABEL_IMAGE]: 'node' }, onLine: report, signal });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
