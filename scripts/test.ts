/**
 * `npm test` after the builds: the suite as two vitest processes side by side, because on
 * 2 cores the lab suites spend most of their time waiting (on Docker, on health-check
 * intervals, on expiry timers) while the pure ones want a core.
 *  - labs: every file that runs labs — test/e2e (one Docker engine, fixed lab ports) and the
 *    integration files that start labs on the local runtime (lab ports, the local registry) —
 *    and the few pure files that time the proxies against the clock (a check's duration, a
 *    slowloris cut at 1 s, a retry's wait, a rate period), which a niced process can miss by
 *    seconds on a busy machine. One file at a time, at normal priority; its global teardown
 *    judges what is left on the engine and on this machine once everything else has ended.
 *  - pure: test/unit and the integration files that start only their own HAProxy and proxy
 *    processes on ports reserved per test process (test/helpers/ports.ts), niced so that the
 *    labs' timings are not theirs to pay for. Its output is printed in one piece when it ends;
 *    it judges no leftovers (the labs process, which ends last, does).
 * `node dist/scripts/test.js [labs|pure]` runs one group alone. Exit: 0 only when both pass.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const VITEST = join('node_modules', 'vitest', 'vitest.mjs');

/** Integration files that start labs (local runtime: lab ports and the local registry). */
const LAB_INTEGRATION = /^(check-all-local|check-mutations-local|chaos-local|closed-output|html-report|identify|local-(?!replica)[a-z-]+|script-output|tcp-keepalive-local|auto-runtime)\.test\.ts$/;

/** Integration files that start only their own processes but assert wall-clock behaviour. */
const TIMED_INTEGRATION = /^(health-parity|proxy-abuse|proxy-failover|stick-table-parity)\.test\.ts$/;

function integrationFiles(labs: boolean): string[] {
  return readdirSync(join('test', 'integration'))
    .filter((f) => f.endsWith('.test.ts') && (LAB_INTEGRATION.test(f) || TIMED_INTEGRATION.test(f)) === labs)
    .map((f) => join('test', 'integration', f));
}

interface Group {
  name: 'labs' | 'pure';
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Print as it comes (true) or in one piece at the end. */
  live: boolean;
  nice: boolean;
}

const GROUPS: Group[] = [
  { name: 'labs', args: ['test/e2e', ...integrationFiles(true)], env: {}, live: true, nice: false },
  { name: 'pure', args: ['test/unit', ...integrationFiles(false)], env: { HAPLAB_TEST_LEFTOVERS: 'not-judged' }, live: false, nice: true },
];

interface Outcome {
  group: Group;
  code: number;
  seconds: number;
  status: string;
  failed: string[];
}

function run(group: Group): Promise<Outcome> {
  const started = Date.now();
  const argv = [VITEST, 'run', ...group.args];
  const child = group.nice
    ? spawn('nice', ['-n', '10', process.execPath, ...argv], { env: { ...process.env, ...group.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { env: { ...process.env, ...group.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const held: Buffer[] = [];
  const failures = new FailureLines();
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      failures.scan(chunk);
      if (group.live) (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
      else held.push(chunk);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      if (!group.live) process.stdout.write(`\n::: the ${group.name} group's output (${group.args.join(' ')})\n${Buffer.concat(held).toString()}\n`);
      const status = code === 0 ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`;
      process.stdout.write(`::: ${group.name} group: ${status} in ${seconds} s\n`);
      resolve({ group, code: code ?? 1, seconds, status, failed: failures.lines() });
    });
  });
}

/**
 * The lines naming what failed (vitest's `FAIL  file > test` and the first line of each
 * error), kept so that they can be printed again last: whoever reads only the end of a long
 * run (a CI excerpt, a terminal's scrollback) still learns which test of which group failed,
 * although the pure group's output is printed long before the labs group ends.
 */
class FailureLines {
  private readonly found: string[] = [];
  private partial = '';

  scan(chunk: Buffer): void {
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
      if (/^ FAIL /.test(line) || /^(AssertionError|Error|TypeError)\b/.test(line)) this.found.push(line);
    }
  }

  lines(): string[] {
    return [...new Set(this.found)].slice(0, 40);
  }
}

const only = process.argv[2];
if (only !== undefined && !GROUPS.some((g) => g.name === only)) {
  process.stderr.write(`haplab tests: unknown group '${only}' (labs or pure)\n`);
  process.exit(2);
}
const results = await Promise.all(GROUPS.filter((g) => only === undefined || g.name === only).map((g) => run({ ...g, live: g.live || only !== undefined })));
if (results.length > 1) {
  process.stdout.write(`\n::: npm test: ${results.map((r) => `${r.group.name} ${r.status} in ${r.seconds} s`).join(', ')}\n`);
}
for (const r of results.filter((result) => result.code !== 0)) {
  process.stdout.write(`::: what failed in the ${r.group.name} group (its output above says why):\n`);
  process.stdout.write(r.failed.length > 0 ? `${r.failed.join('\n')}\n` : '(no test named: the run itself ended early; see its output)\n');
}
process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
