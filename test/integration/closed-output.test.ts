/**
 * A reader that goes away is not an error of the lab (src/cli/closed-output.ts): `haplab list
 * | head -1` ends quietly, and `haplab check ep09 | head -1` still takes its lab down and
 * ends as interrupted (130), with no stack trace and no process of the lab left; so do `up`
 * and `check DIR`, while `status`, `verify`, `identify` and `down` end with their usual code
 * (test/helpers/closed-commands.ts, the same cases as on docker).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { runWithClosedStdout } from '../helpers/closed-reader.js';
import { runCli } from '../helpers/cli.js';
import { closedCheck, closedReadersOfARunningLab, closedUp, type ClosedCommandsLab } from '../helpers/closed-commands.js';
import { DIST, FLASK, HAPROXY, describeWithTool, itWithTool } from '../helpers/require-tool.js';

/** Processes that carry the local runtime's marker for labs under `root`. */
function labProcesses(root: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (env.includes('HAPLAB_LOCAL_RUN=') && env.includes(root)) found.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

describeWithTool([DIST], 'a closed stdout', () => {
  let state: string;
  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'haplab-closed-output-'));
  });
  afterAll(async () => {
    await rm(state, { recursive: true, force: true });
  });

  itWithTool([], 'list | head -1: the first line, then a quiet exit 0', async () => {
    const run = await runWithClosedStdout(['list'], { XDG_STATE_HOME: state });
    expect(run.firstLine).toMatch(/^ID\s+TITLE/);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });

  itWithTool([HAPROXY, FLASK], 'check ep09 --runtime local | head -1: the lab is taken down, exit 130, no stack trace', async () => {
    // check makes its lab under the temporary directory; TMPDIR puts it where this test can look.
    const tmp = await mkdtemp(join(tmpdir(), 'haplab-closed-check-'));
    try {
      const run = await runWithClosedStdout(['check', 'ep09', '--runtime', 'local'], { XDG_STATE_HOME: state, TMPDIR: tmp });
      expect(run.firstLine).toMatch(/local runtime/);
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(labProcesses(tmp)).toEqual([]);
      // Only this lab counts: the engine may hold other people's labs.
      const status = await runCli(['status', '--json'], { env: { XDG_STATE_HOME: state } });
      expect((JSON.parse(status.stdout) as { dir: string }[]).filter((l) => l.dir.startsWith(tmp))).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 180_000);

  describe('each command of a lab\'s life, on the local runtime', () => {
    let lab: ClosedCommandsLab;
    beforeAll(async () => {
      const dir = join(state, 'lab');
      const made = await runCli(['new', 'ep09', '--dir', dir, '--yes'], { env: { XDG_STATE_HOME: state } });
      expect(made.code, made.stderr).toBe(0);
      lab = { dir, runtime: 'local', env: { XDG_STATE_HOME: state }, leftovers: async () => labProcesses(dir), timeoutMs: 120_000 };
    });

    itWithTool([HAPROXY, FLASK], 'up | head -1: what it started is stopped, exit 130', () => closedUp(lab), 180_000);
    itWithTool([HAPROXY, FLASK], 'status, list, verify, identify, down | head -1 on a running lab: usual exit codes, the lab left as it was until down', () => closedReadersOfARunningLab(lab), 300_000);
    itWithTool([HAPROXY, FLASK], 'check DIR | head -1: the lab is taken down, exit 130', () => closedCheck(lab), 180_000);
  });
});
