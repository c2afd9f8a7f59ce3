/**
 * `haplab up` as a child process, interrupted mid-up: killed with SIGKILL it leaves
 * labelled objects that `haplab down --all` removes completely; with SIGINT it removes
 * what it made itself and exits 130, whichever step it is in.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { stateFilePath } from '../../src/runtime/state.js';
import { cliPath, runCli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';
import { describeDocker, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startUp(dir: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [cliPath, 'up', dir, '--runtime', 'docker'], { env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

async function waitForOutput(started: Started, text: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" never appeared; output:\n${started.output()}`);
    if (started.child.exitCode !== null) throw new Error(`up exited (${started.child.exitCode}) before "${text}":\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeDocker('haplab up interrupted (child process, real engine)', () => {
  let docker: Docker;
  // A private registry for the local runtime: `down --all` here must not touch anyone else's local labs.
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    env = { XDG_STATE_HOME: await scratchDir('haplab-e2e-state-') };
  }, 300_000);

  afterAll(async () => {
    // The images of the labs made here go too: nothing of this suite may stay on the engine.
    await runCli(['down', '--all', '--images'], { env }).catch(() => undefined);
  });

  it('SIGKILL mid-up leaves only labelled objects, and `haplab down --all` removes them all', async () => {
    const dir = await writeEpisodeLab('ep09', 'e2e-kill');
    const up = startUp(dir, env);
    await waitForOutput(up, 'starting the apps');
    up.child.kill('SIGKILL');
    expect((await up.exited).signal).toBe('SIGKILL');
    const left = await labelledObjects(docker, 'e2e-kill');
    expect(left.containers).toBeGreaterThan(0);
    expect(left.networks).toBeGreaterThan(0);
    expect(existsSync(stateFilePath(dir))).toBe(true);

    const down = await runCli(['down', '--all'], { env });
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('e2e-kill');
    expect(await labelledObjects(docker)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(existsSync(stateFilePath(dir))).toBe(false);
  }, 180_000);

  // Ctrl-C at each step of `up` long enough to be hit: up removes what it made itself and exits 130.
  // A lab whose Dockerfiles are as generated builds nothing but the probe (there for good), so
  // for the build step app2's Dockerfile gets an edit that takes seconds to build.
  it.each([
    'building 1 of 4 images (app2) and the probe',
    'creating networks and containers',
    'starting the apps',
    'waiting for the apps to answer',
    // Not 'starting the proxies' / 'waiting for the proxies to answer': on a quiet machine
    // they last a few milliseconds, and the signal can arrive after `up` has finished.
  ])('SIGINT during "%s": up removes what it made and exits 130', async (step) => {
    const lab = `e2e-sigint-${step.split(' ')[0]}-${step.split(' ').pop()}`;
    const dir = await writeEpisodeLab('ep09', lab);
    if (step.startsWith('building')) await appendFile(join(dir, 'apps', 'app2', 'Dockerfile'), 'RUN sleep 20\n');
    const up = startUp(dir, env);
    await waitForOutput(up, step);
    up.child.kill('SIGINT');
    const { code } = await up.exited;
    expect(code, up.output()).toBe(130);
    expect(up.output()).toMatch(/interrupted/);
    expect(await labelledObjects(docker, lab)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(existsSync(stateFilePath(dir))).toBe(false);
  }, 180_000);
});
