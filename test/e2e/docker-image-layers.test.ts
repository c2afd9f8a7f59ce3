/**
 * On a real engine: the untagged layers two images share are removed once neither stands
 * on them (src/runtime/docker/image-layers.ts), and kept while another image does. Two
 * teardowns at once leave such layers when each sees the other's image still there; here
 * that state is made on purpose, by removing both images without pruning.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { offlineImages } from '../../src/lab-schema/images.js';
import { buildImage } from '../../src/runtime/docker/build.js';
import { removeUnusedLayers, untaggedAncestors } from '../../src/runtime/docker/image-layers.js';
import { scratchDir } from '../helpers/scratch.js';
import { danglingImages, describeDocker, engine } from './docker-helpers.js';

const LABEL = 'io.haplab.lab';
const TAG = (name: string) => `haplab-e2e-layers-${name}:latest`;

describeDocker('docker runtime: build layers that two images share', () => {
  let docker: Docker;
  let context: string;
  let dangling: string[];
  const exists = (id: string) => docker.getImage(id).inspect().then(() => true, () => false);
  const build = (name: string) => buildImage(docker, { contextDir: context, tag: TAG(name), labels: { [LABEL]: `e2e-layers-${name}` } });
  const idOf = async (name: string) => (await docker.getImage(TAG(name)).inspect()).Id;

  beforeAll(async () => {
    docker = await engine();
    dangling = await danglingImages(docker);
    context = await scratchDir('layers-');
    await mkdir(context, { recursive: true });
    // Same steps, same file: the second build takes every step from the first one's cache.
    await writeFile(join(context, 'Dockerfile'), `FROM ${offlineImages().base}\nRUN echo ${process.pid}-${Date.now()} > /stamp\nCOPY file /file\nCMD ["true"]\n`);
    await writeFile(join(context, 'file'), 'shared\n');
  }, 120_000);

  afterAll(async () => {
    for (const name of ['a', 'b', 'c']) await docker?.getImage(TAG(name)).remove({ force: true }).catch(() => undefined);
  });

  it('removes them once neither image is left, and keeps them while one is', async () => {
    await build('a');
    await build('b');
    const [a, b] = await untaggedAncestors(docker, [await idOf('a'), await idOf('b')]);
    expect(a!.length).toBeGreaterThanOrEqual(3); // RUN, COPY, CMD
    expect(b).toEqual(a);

    // a goes as a racing teardown leaves it: b still stands on the layers, so nothing goes.
    await docker.getImage(TAG('a')).remove({ noprune: true });
    expect(await removeUnusedLayers(docker, [a!])).toBe(0);
    expect(await Promise.all(a!.map(exists))).toEqual(a!.map(() => true));

    // b goes the same way: now nothing stands on them, and all of them go.
    await docker.getImage(TAG('b')).remove({ noprune: true });
    expect((await danglingImages(docker)).filter((id) => !dangling.includes(id))).not.toEqual([]);
    expect(await removeUnusedLayers(docker, [a!, b!])).toBe(a!.length);
    expect(await Promise.all(a!.map(exists))).toEqual(a!.map(() => false));
    expect((await danglingImages(docker)).filter((id) => !dangling.includes(id))).toEqual([]);
  }, 180_000);

  it('a failed build leaves none of the steps that passed', async () => {
    await writeFile(join(context, 'Dockerfile'), `FROM ${offlineImages().base}\nRUN echo ${process.pid}-${Date.now()}-c > /stamp\nCOPY file /file\nRUN exit 3\n`);
    const failure = await build('c').then(() => undefined, (err: unknown) => err);
    expect(String(failure)).toMatch(/building haplab-e2e-layers-c:latest failed at Step 4\/\d+ : RUN exit 3/);
    expect((await danglingImages(docker)).filter((id) => !dangling.includes(id))).toEqual([]);
    expect(await exists(TAG('c'))).toBe(false);
  }, 180_000);
});
