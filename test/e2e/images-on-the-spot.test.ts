/**
 * Base images without a step, on a real engine. A lab's Dockerfiles name no flavor: they
 * default to the official images through `ARG BASE_IMAGE`, and `up` passes the base this
 * machine has (here, with no registry: haplab's offline images). And where those are
 * absent too, `haplab check DIR` (auto runtime) builds them on the spot, once, and runs the
 * lab on docker. "Absent" without deleting the shared haplab/bookworm-* images other labs
 * use: HAPLAB_IMAGE_NAMESPACE puts the offline bases and the probe under a throwaway name,
 * removed afterwards. The cold and warm times are printed (README: first run).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { IMAGE_NAMESPACE_ENV, offlineImages } from '../../src/lab-schema/images.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { offlineBuildProblem } from '../../src/runtime/images/facts.js';
import { runCli } from '../helpers/cli.js';
import { itWithTool, knownTool } from '../helpers/require-tool.js';
import { describeDocker, engine, ensureBuilt, writeEpisodeLab } from './docker-helpers.js';

const OFFLINE_BUILD = knownTool('building the offline images here (root, debootstrap, a Debian mirror)', (await offlineBuildProblem())?.reason);
const NAMESPACE = `haplab-e2e-spot-${process.pid}`;
const spotEnv = { [IMAGE_NAMESPACE_ENV]: NAMESPACE };

async function layers(docker: Docker, image: string): Promise<string[]> {
  return (await docker.getImage(image).inspect()).RootFS.Layers ?? [];
}

async function namespaceImages(docker: Docker): Promise<Docker.ImageInfo[]> {
  return (await docker.listImages()).filter((i) => (i.RepoTags ?? []).some((t) => t.startsWith(`${NAMESPACE}/`)));
}

/**
 * The throwaway images and every image built on them (a build cut short leaves untagged
 * intermediate children, which would keep the base from being removed), leaves first.
 */
async function removeNamespaceImages(docker: Docker): Promise<void> {
  const all = await docker.listImages({ all: true });
  const ours = new Set((await namespaceImages(docker)).map((i) => i.Id));
  for (let grew = true; grew;) {
    grew = false;
    for (const image of all) {
      if (!ours.has(image.Id) && ours.has(image.ParentId)) {
        ours.add(image.Id);
        grew = true;
      }
    }
  }
  const depth = (id: string): number => {
    const parent = all.find((i) => i.Id === id)?.ParentId;
    return parent && ours.has(parent) ? 1 + depth(parent) : 0;
  };
  for (const id of [...ours].sort((a, b) => depth(b) - depth(a))) {
    await docker.getImage(id).remove({ force: true }).catch(() => undefined);
  }
}

describeDocker('base images chosen at up, built on the spot when absent', () => {
  let docker: Docker;
  const dirs: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
  });

  afterAll(async () => {
    for (const dir of dirs) {
      await runCli(['down', dir, '--images'], { env: spotEnv }).catch(() => undefined);
      await rm(dirname(dir), { recursive: true, force: true });
    }
    await removeNamespaceImages(docker);
    expect(await namespaceImages(docker)).toEqual([]);
  }, 120_000);

  itWithTool([], 'an unpinned lab runs on the base up chose: the offline one here, as its image or under an edited Dockerfile\'s BASE_IMAGE argument', async () => {
    const dir = await writeEpisodeLab('ep05', 'e2e-base-arg', { images: undefined });
    dirs.push(dir);
    const dockerfile = join(dir, 'apps', 'app1', 'Dockerfile');
    expect(await readFile(dockerfile, 'utf8')).toMatch(/^ARG BASE_IMAGE=python:3\.12-slim$/m);
    expect(await readFile(dockerfile, 'utf8')).toMatch(/^FROM \$\{BASE_IMAGE\}$/m);
    expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).not.toMatch(/^images:/m);
    // Edited, so up builds it (src/runtime/docker/recipe-files.ts); the others run their base.
    await appendFile(dockerfile, 'LABEL io.haplab.test.edited=yes\n');

    const runtime = await createDockerRuntime();
    const steps: string[] = [];
    try {
      const instance = await runtime.up(dir, { onStep: (s) => steps.push(s) });
      expect(steps).toContain('base images: offline (the offline base images are present)');
      // The edited app's image stands on the offline base: its first layers are the base's.
      const base = await layers(docker, offlineImages().base);
      expect((await layers(docker, 'haplab-e2e-base-arg-app1:latest')).slice(0, base.length)).toEqual(base);
      for (const service of ['app2', 'haproxy']) {
        expect((await docker.getContainer(`haplab-e2e-base-arg-${service}`).inspect()).Config.Image, service).toBe(offlineImages().base);
      }
      const res = await fetch(`${instance.endpoints[0]!.url}/`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-served-by')).toMatch(/^app[123]$/);
    } finally {
      await runtime.down(dir, { images: true });
    }
  }, 300_000);

  itWithTool([OFFLINE_BUILD], 'no base images, no registry: `check DIR` (auto) builds the offline images once, then runs on docker; the second run builds nothing', async () => {
    const { base, node } = offlineImages(spotEnv);
    expect(await namespaceImages(docker)).toEqual([]);
    const dir = await writeEpisodeLab('ep09', 'e2e-spot', { images: undefined });
    dirs.push(dir);

    const coldStart = performance.now();
    // A guard against a hang, not a performance bound: ~2.5 min on a quiet 2-core machine,
    // but debootstrap alone took 9.5 min at load average 25 (2026-12-01).
    const cold = await runCli(['check', dir, '--seed', '7'], { env: spotEnv, timeoutMs: 1_200_000 });
    const coldSeconds = (performance.now() - coldStart) / 1000;
    expect(cold.code, cold.stdout + cold.stderr).toBe(0);
    const first = cold.stdout.split('\n')[0]!;
    expect(first).toMatch(/^docker runtime: .*cannot pull python:3\.12-slim.*haplab's offline base images are built first, once/);
    expect(cold.stdout).toContain(`${base}: debootstrap bookworm`);
    expect(cold.stdout).toContain(`${node}: ${base} + this host's node`);
    expect(cold.stdout).toMatch(/up: lab e2e-spot on docker/);
    for (const image of [base, node]) expect((await docker.getImage(image).inspect()).Id).toMatch(/^sha256:/);

    const warmStart = performance.now();
    const warm = await runCli(['check', dir, '--seed', '7'], { env: spotEnv, timeoutMs: 300_000 });
    const warmSeconds = (performance.now() - warmStart) / 1000;
    expect(warm.code, warm.stdout + warm.stderr).toBe(0);
    expect(warm.stdout.split('\n')[0]).toMatch(/^docker runtime: docker: \S+$/);
    expect(warm.stdout).not.toContain('debootstrap');
    console.log(`check DIR (ep09, docker, auto): cold ${coldSeconds.toFixed(1)} s (offline images built), warm ${warmSeconds.toFixed(1)} s`);
  }, 1_800_000);
});
