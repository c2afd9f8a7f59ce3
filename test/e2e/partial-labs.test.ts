/**
 * On a real engine: `haplab status` shows what a lab left with nothing running around it
 * (here a labelled network, as an `up` killed after creating it leaves) with the command
 * that removes it; and `haplab check ep09 --runtime docker | head -1` — a reader that goes
 * away — still takes its lab down: exit 130, nothing labelled left.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runWithClosedStdout } from '../helpers/closed-reader.js';
import { describeDocker, engine, ensureBuilt, labelledObjects } from './docker-helpers.js';

describeDocker('partial labs and a closed stdout (docker)', () => {
  let docker: Docker;
  let state: string;
  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    state = await mkdtemp(join(tmpdir(), 'haplab-e2e-partial-'));
  }, 300_000);
  afterAll(async () => {
    await runCli(['down', '--all', '--images'], { env: { XDG_STATE_HOME: state } }).catch(() => undefined);
    await rm(state, { recursive: true, force: true });
  });

  it('status lists a labelled network with no lab around it, and says how to remove it', async () => {
    const network = await docker.createNetwork({ Name: 'haplab-e2e-partial-net', Labels: { 'io.haplab.lab': 'e2e-partial' } });
    try {
      const status = await runCli(['status'], { env: { XDG_STATE_HOME: state } });
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^partial lab e2e-partial \(docker\): 1 network — remove with `haplab down --all`$/m);
      const down = await runCli(['down', '--all'], { env: { XDG_STATE_HOME: state } });
      expect(down.code).toBe(0);
      const after = await runCli(['status'], { env: { XDG_STATE_HOME: state } });
      expect(after.stdout).not.toMatch(/partial lab e2e-partial/);
    } finally {
      await network.remove().catch(() => undefined);
    }
  });

  it('check ep09 | head -1 on docker: the lab is taken down, exit 130, nothing labelled left', async () => {
    const run = await runWithClosedStdout(['check', 'ep09', '--runtime', 'docker'], { XDG_STATE_HOME: state });
    expect(run.firstLine).toMatch(/docker runtime/);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(await labelledObjects(docker)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  }, 240_000);
});
