/**
 * On a real engine, the cases test/integration/closed-output.test.ts runs on the local
 * runtime (test/helpers/closed-commands.ts): each command with a reader that goes away after
 * the first line. `up` and `check DIR` cut short take down what they made (exit 130);
 * `status`, `list`, `verify`, `identify` and `down` end with their usual code; nothing
 * labelled with this lab is left on the engine, and the lab's images go with it at the end.
 */
import { basename } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedCheck, closedReadersOfARunningLab, closedUp, type ClosedCommandsLab } from '../helpers/closed-commands.js';
import { describeDocker, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

describeDocker('a closed stdout under every command (docker)', () => {
  let docker: Docker;
  let lab: ClosedCommandsLab;
  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    const dir = await writeEpisodeLab('ep09', 'closed-docker');
    const name = basename(dir);
    lab = {
      dir,
      runtime: 'docker',
      env: {},
      leftovers: async () => Object.entries(await labelledObjects(docker, name)).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`),
      timeoutMs: 240_000,
    };
  }, 300_000);
  afterAll(async () => {
    // The images built for this lab go too (the global teardown counts them as leftovers).
    if (lab) await runCli(['down', lab.dir, '--images'], { timeoutMs: 120_000 });
  });

  it('up | head -1: what it made is removed, exit 130', () => closedUp(lab), 300_000);
  it('status, list, verify, identify, down | head -1 on a running lab: usual exit codes, the lab left as it was until down', () => closedReadersOfARunningLab(lab), 400_000);
  it('check DIR | head -1: the lab is taken down, exit 130', () => closedCheck(lab), 300_000);
});
