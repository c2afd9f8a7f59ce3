/**
 * Every command of a lab's life run with a reader that goes away after the first line
 * (`haplab … | head -1`), on whichever runtime the caller names: shared by the local
 * (test/integration/closed-output.test.ts) and docker (test/e2e/closed-output-docker.test.ts)
 * files, so both runtimes meet the same cases. Each case asserts the exit code, that no
 * stack trace or internal error was printed, and what must be left: nothing after an
 * interrupted `up`/`check` or a `down`, the lab untouched after `status`/`verify`/`identify`.
 */
import { expect } from 'vitest';
import { runCli } from './cli.js';
import { runWithClosedStdout, type ClosedRun } from './closed-reader.js';

export interface ClosedCommandsLab {
  /** A lab directory made by `haplab new`, not up. */
  dir: string;
  runtime: 'local' | 'docker';
  /** XDG_STATE_HOME and the like: this file's own registry of local runs. */
  env: NodeJS.ProcessEnv;
  /** What of this lab is left on its runtime (processes, labelled objects): empty when nothing. */
  leftovers(): Promise<string[]>;
  timeoutMs: number;
}

const STACK_TRACE = /internal error|\n\s+at /;

function expectQuietEnd(run: ClosedRun, code: number, what: string): void {
  expect(run.code, `${what}:\n${run.stderr}`).toBe(code);
  expect(run.stderr, what).not.toMatch(STACK_TRACE);
}

async function expectLabUp(lab: ClosedCommandsLab, up: boolean): Promise<void> {
  const status = await runCli(['status', '--json'], { env: lab.env, timeoutMs: 60_000 });
  expect(status.code, status.stderr).toBe(0);
  const labs = JSON.parse(status.stdout) as { dir: string }[];
  expect(labs.some((l) => l.dir === lab.dir), `lab ${lab.dir} ${up ? 'up' : 'down'} per status --json`).toBe(up);
}

/** up cut short: exit 130 and nothing of the lab left. */
export async function closedUp(lab: ClosedCommandsLab): Promise<void> {
  const run = await runWithClosedStdout(['up', lab.dir, '--runtime', lab.runtime], lab.env, lab.timeoutMs);
  expect(run.firstLine).toMatch(new RegExp(`${lab.runtime} runtime`));
  expectQuietEnd(run, 130, 'up | head -1');
  expect(await lab.leftovers()).toEqual([]);
  await expectLabUp(lab, false);
}

/** With the lab up: commands that made nothing print what they can, end as usual and leave the lab as it was. */
export async function closedReadersOfARunningLab(lab: ClosedCommandsLab): Promise<void> {
  const up = await runCli(['up', lab.dir, '--runtime', lab.runtime], { env: lab.env, timeoutMs: lab.timeoutMs });
  expect(up.code, up.stderr).toBe(0);
  try {
    const status = await runWithClosedStdout(['status'], lab.env, lab.timeoutMs);
    expectQuietEnd(status, 0, 'status | head -1');

    const list = await runWithClosedStdout(['list'], lab.env, lab.timeoutMs);
    expectQuietEnd(list, 0, 'list | head -1');

    // The report is complete before the reader goes (its progress is on stderr): the verdict's code.
    const verify = await runWithClosedStdout(['verify', lab.dir, '--seed', '1'], lab.env, lab.timeoutMs);
    expect(verify.firstLine).toMatch(/^ep09 · .* · PASS$/);
    expectQuietEnd(verify, 0, 'verify | head -1');
    await expectLabUp(lab, true);

    const identify = await runWithClosedStdout(['identify', lab.dir, '--seed', '5'], lab.env, lab.timeoutMs);
    expect(identify.firstLine).toMatch(/^identify /);
    expectQuietEnd(identify, 0, 'identify | head -1');
    await expectLabUp(lab, true);
  } finally {
    const down = await runWithClosedStdout(['down', lab.dir], lab.env, lab.timeoutMs);
    expectQuietEnd(down, 0, 'down | head -1');
  }
  expect(await lab.leftovers()).toEqual([]);
  await expectLabUp(lab, false);
}

/** check of the lab directory cut short: the lab it brought up is taken down, exit 130. */
export async function closedCheck(lab: ClosedCommandsLab): Promise<void> {
  const run = await runWithClosedStdout(['check', lab.dir, '--runtime', lab.runtime], lab.env, lab.timeoutMs);
  expect(run.firstLine).toMatch(new RegExp(`${lab.runtime} runtime`));
  expectQuietEnd(run, 130, 'check DIR | head -1');
  expect(await lab.leftovers()).toEqual([]);
  await expectLabUp(lab, false);
}
