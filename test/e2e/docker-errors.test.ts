/**
 * What the user sees when the docker runtime cannot work: no engine, a host port taken,
 * a failing build step, an app that dies on start — each exit 3 with the evidence (a
 * haproxy.cfg the proxy refuses: exit 2 at the lab's line), and
 * nothing labelled left behind.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { runCli } from '../helpers/cli.js';
import { danglingImages, describeDocker, E2E_PORT_SHIFT, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

const deadEngine = { DOCKER_HOST: 'unix:///nonexistent.sock' };

describe('no Docker engine', () => {
  let dir: string;
  beforeAll(async () => {
    ensureBuilt();
    dir = await writeEpisodeLab('ep09', 'e2e-noengine');
  }, 300_000);

  it('up --runtime docker: exit 3, one line naming where it looked and how to start one', async () => {
    const result = await runCli(['up', dir, '--runtime', 'docker'], { env: deadEngine });
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no Docker engine answered at DOCKER_HOST=unix:\/\/\/nonexistent\.sock/);
    expect(lines[0]).toMatch(/dockerd|systemctl start docker/);
  });

  it('images: exit 3 with the same line', async () => {
    const result = await runCli(['images', '--offline'], { env: deadEngine });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/no Docker engine answered at DOCKER_HOST=unix:\/\/\/nonexistent\.sock/);
  });
});

describeDocker('docker runtime: failures say what and why', () => {
  let docker: Docker;
  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
  }, 300_000);

  describe('a host port held by another program', () => {
    let holder: Server;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((resolve, reject) => holder.once('error', reject).listen(8090 + E2E_PORT_SHIFT, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    it('exit 3 naming the port; nothing is made', async () => {
      const dir = await writeEpisodeLab('ep09', 'e2e-port');
      const result = await runCli(['up', dir, '--runtime', 'docker'], { timeoutMs: 120_000 });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`host port 127.0.0.1:${8090 + E2E_PORT_SHIFT} is in use by another program`);
      expect(await labelledObjects(docker, 'e2e-port')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    });
  });

  it('a failing build step: exit 3 with the step and its output; nothing left', async () => {
    const dir = await writeEpisodeLab('ep09', 'e2e-badbuild');
    const danglingBefore = await danglingImages(docker);
    const dockerfile = join(dir, 'apps', 'app2', 'Dockerfile');
    await writeFile(dockerfile, `${await readFile(dockerfile, 'utf8')}RUN echo "lab author's mistake here" && exit 7\n`);
    const result = await runCli(['up', dir, '--runtime', 'docker'], { timeoutMs: 240_000 });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/building haplab-e2e-badbuild-app2:latest failed at Step \d+\/\d+ : RUN echo/);
    expect(result.stderr).toContain("lab author's mistake here");
    expect(await labelledObjects(docker, 'e2e-badbuild')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    // The images that did build are the lab's cache for a next `up`; this lab has none.
    expect((await runCli(['down', dir, '--images'])).code).toBe(0);
    // Nor do the untagged images of the steps that passed (no label finds them later).
    expect((await danglingImages(docker)).filter((id) => !danglingBefore.includes(id))).toEqual([]);
  }, 240_000);

  // Without a build, a missing file would surface as a raw read error while copying; up builds
  // such a service instead, and the build names the COPY step (src/runtime/docker/recipe-files.ts).
  it('a file a Dockerfile copies is missing: exit 3 at that COPY step; nothing left', async () => {
    const dir = await writeEpisodeLab('ep09', 'e2e-nocfg');
    await rm(join(dir, 'haproxy', 'haproxy.cfg'));
    const result = await runCli(['up', dir, '--runtime', 'docker'], { timeoutMs: 240_000 });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/building haplab-e2e-nocfg-haproxy:latest failed at Step \d+\/\d+ : COPY haproxy\.cfg /);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(await labelledObjects(docker, 'e2e-nocfg')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect((await runCli(['down', dir, '--images'])).code).toBe(0);
  }, 240_000);

  it('an app that dies on start: exit 3 with its last log lines; nothing left', async () => {
    const dir = await writeEpisodeLab('ep09', 'e2e-crash');
    const app = join(dir, 'apps', 'app3', 'app.py');
    await writeFile(app, `raise SystemExit("app3 cannot start: missing setting")\n${await readFile(app, 'utf8')}`);
    const result = await runCli(['up', dir, '--runtime', 'docker'], { timeoutMs: 240_000 });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/app3 exited with code 1 during start-up/);
    expect(result.stderr).toContain('app3 cannot start: missing setting');
    expect(await labelledObjects(docker, 'e2e-crash')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect((await runCli(['down', dir, '--images'])).code).toBe(0);
  }, 240_000);

  // A haproxy.cfg its proxy refuses is bad input in the lab (exit 2), not a broken machine:
  // the image runs the lab's file unchanged, so the proxy's line is the lab's line.
  it.each([
    { proxy: 'haproxy' as const, service: 'haproxy', says: /HAProxy refuses this line: unknown keyword 'balanc'/ },
    { proxy: 'ts' as const, service: 'tsproxy', says: /haplab's proxy refuses this line: .*balanc/ },
  ])('a haproxy.cfg $proxy refuses, `balance` misspelt: exit 2, one line at haproxy.cfg:LINE with what the proxy said; nothing left', async ({ proxy, service, says }) => {
    const name = `e2e-typo-${proxy}`;
    const dir = await writeEpisodeLab('ep09', name, { proxy });
    const cfg = join(dir, service, 'haproxy.cfg');
    const text = await readFile(cfg, 'utf8');
    const line = text.split('\n').findIndex((l) => /^\s*balance roundrobin/.test(l)) + 1;
    expect(line).toBeGreaterThan(0);
    await writeFile(cfg, text.replace(/^(\s*)balance roundrobin/m, '$1balanc roundrobin'));
    try {
      const result = await runCli(['up', dir, '--runtime', 'docker'], { timeoutMs: 240_000 });
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^haplab: ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}: `));
      expect(lines[0]).toMatch(says);
      expect(await labelledObjects(docker, name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      // A lab made only for this test takes its images with it.
      expect((await runCli(['down', dir, '--images'])).code).toBe(0);
    }
  }, 240_000);
});
