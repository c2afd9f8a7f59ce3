/**
 * The generated docker-compose.yml run by hand, as a person without haplab would: Debian
 * 12's docker-compose 1.29 (the oldest Compose the file promises to work with) brings ep09
 * up with `docker-compose up -d --build`; HAProxy on its published 127.0.0.1 port gives
 * 2:1:3 in every cycle of 6 over real HTTP; `haplab status` names the lab, says Compose
 * started it and which directory `haplab down` takes; `docker-compose down --rmi all
 * --volumes` (the file's own command) leaves nothing labelled, images included.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BASE_IMAGE_ENV, COMPOSE_DOWN, COMPOSE_UP } from '../../src/render/compose.js';
import { offlineImages } from '../../src/lab-schema/images.js';
import { labFilter } from '../../src/runtime/docker/labels.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { STATS_PORT_OFFSET } from '../../src/lab-schema/types.js';
import { runCli } from '../helpers/cli.js';
import { commandTool, describeWithTool } from '../helpers/require-tool.js';
import { DOCKER, E2E_PORT_SHIFT, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

const run = promisify(execFile);
/** Debian's package (.ci/run installs it); `docker compose` (v2) is not packaged for Debian 12. */
const DOCKER_COMPOSE = commandTool("Debian's docker-compose", 'docker-compose', ['version']);
const LAB = 'e2e-compose-ep09';
const PORT = 8090 + E2E_PORT_SHIFT;

/**
 * The base image, as the lab README tells a person to give it: haplab's offline image where
 * the engine has it (no registry answers on CI machines), else the file's official default.
 */
let baseImageEnv: Record<string, string> = {};

async function compose(dir: string, args: string): Promise<string> {
  try {
    const env = { ...process.env, ...baseImageEnv };
    const { stdout, stderr } = await run('docker-compose', args.split(' '), { cwd: dir, env, timeout: 300_000, maxBuffer: 16 << 20 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`docker-compose ${args} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.slice(0, 4000));
  }
}

/** Until HAProxy's stats say every server of `servers` is UP (no request reaches the backend before). */
async function serversUp(deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = await (await fetch(`http://127.0.0.1:${PORT + STATS_PORT_OFFSET}/stats;csv`)).text();
      const rows = last.split('\n').filter((l) => /^servers,server\d,/.test(l));
      if (rows.length === 3 && rows.every((r) => r.split(',')[17] === 'UP')) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`ep09's servers were not all UP in time; last stats:\n${last}`);
}

describeWithTool([DOCKER, DOCKER_COMPOSE], 'docker-compose.yml by hand with Debian 12\'s docker-compose 1.29', () => {
  let docker: Docker;
  let dir: string;

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    const offline = offlineImages().node;
    const hasOffline = await docker.getImage(offline).inspect().then(() => true, () => false);
    if (hasOffline) baseImageEnv = { [BASE_IMAGE_ENV]: offline };
    dir = await writeEpisodeLab('ep09', LAB);
    await compose(dir, COMPOSE_UP);
  }, 300_000);

  afterAll(async () => {
    // If a test failed before `down`, haplab removes the lab by label (the file's labels make that work).
    await (await createDockerRuntime()).down(dir, { images: true }).catch(() => undefined);
    if (dir) await rm(dirname(dir), { recursive: true, force: true });
  });

  it('HAProxy on its published 127.0.0.1 port gives 2:1:3 in every full cycle of 6', async () => {
    await serversUp(Date.now() + 60_000);
    const servedBy: string[] = [];
    for (let i = 0; i < 66; i++) {
      const res = await fetch(`http://127.0.0.1:${PORT}/`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      await res.text();
      servedBy.push(res.headers.get('x-served-by') ?? '?');
    }
    // The health checks bring the servers up one by one, and HAProxy's weighted tree settles
    // within the first cycle (seen with 1.29: one app3 first, then app2 app3 app1 app3 app3
    // app1 over and over). So: some start in the first 12 from which every full cycle of 6
    // (9 at least in 66) is exactly 2:1:3.
    const cyclesFrom = (start: number) => Array.from({ length: Math.floor((servedBy.length - start) / 6) }, (_, c) => servedBy.slice(start + c * 6, start + c * 6 + 6));
    const exact = (cycle: string[]) => ['app1', 'app1', 'app2', 'app3', 'app3', 'app3'].join() === [...cycle].sort().join();
    const phases = Array.from({ length: 12 }, (_, start) => start).filter((start) => cyclesFrom(start).every(exact));
    console.info(`ep09 by hand: ${servedBy.join(' ')}; every cycle 2:1:3 from request ${phases.join(', ')}`);
    expect(phases, `no phase gives 2:1:3 in every cycle: ${servedBy.join(' ')}`).not.toEqual([]);
  }, 90_000);

  it('haplab status names the lab, says Compose started it, and that `haplab down DIR` removes it', async () => {
    const status = await runCli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `partial lab ${LAB} (docker): 4 containers (running), 1 network, started by docker compose — remove with \`haplab down ${dir}\``,
    );
  });

  it('the file\'s own down command leaves nothing labelled: containers, networks, volumes, images', async () => {
    expect((await docker.listImages({ filters: labFilter(LAB) })).length).toBe(4);
    await compose(dir, COMPOSE_DOWN);
    expect(await labelledObjects(docker, LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(await docker.listImages({ filters: labFilter(LAB) })).toEqual([]);
  }, 120_000);
});
