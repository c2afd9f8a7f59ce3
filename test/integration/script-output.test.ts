/**
 * The output conventions scripts rely on (src/cli/output.ts): `--json` (or `--json -`) puts
 * the JSON alone on stdout and every other line on stderr, for list, status, verify, check
 * and identify; `--json FILE` writes the file and leaves the text on stdout; `--quiet` prints
 * the verdict line only, and `--timings` adds its breakdown on stderr whatever else is asked. Run on the local runtime against one lab kept up for the file.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { DIST, FLASK, HAPROXY, describeWithTool, itWithTool } from '../helpers/require-tool.js';

const PASS_LINE = /^PASS ep09 · \S+ · proxy haproxy · local · roundrobin · (\d+)\/\1 checks passed$/;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

function parsedJson(run: CliResult): unknown {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as unknown;
}

describeWithTool([DIST], '--json and --quiet', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]) => runCli(args, { env, timeoutMs: 120_000 });
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'haplab-script-output-'));
    env = { XDG_STATE_HOME: join(root, 'state'), TMPDIR: root };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  itWithTool([], 'list --json and --json -: the catalogue alone on stdout; --json FILE: in the file', async () => {
    for (const flag of [['--json'], ['--json', '-']]) {
      const catalogue = parsedJson(await cli(['list', ...flag])) as { id: string }[];
      expect(catalogue.map((e) => e.id)).toContain('ep09');
    }
    const file = join(root, 'list.json');
    const written = await cli(['list', '--json', file]);
    expect(written.code).toBe(0);
    expect((JSON.parse(await readFile(file, 'utf8')) as { id: string }[]).map((e) => e.id)).toContain('ep09');
  });

  itWithTool([HAPROXY, FLASK], 'check --json: the report alone on stdout, the progress and the text report on stderr', async () => {
    const run = await cli(['check', 'ep09', '--runtime', 'local', '--seed', '1', '--json']);
    const report = parsedJson(run) as { verdict: string; episode: string };
    expect(report).toMatchObject({ verdict: 'pass', episode: 'ep09' });
    expect(run.stderr).toMatch(/^local runtime/m);
    expect(run.stderr).toMatch(/^down: lab /m);
    expect(run.stderr).toMatch(/^seed 1 \(repeat with --seed 1\)$/m);
  }, 180_000);

  itWithTool([HAPROXY, FLASK], 'check --quiet: one line, the verdict', async () => {
    const run = await cli(['check', 'ep09', '--runtime', 'local', '--seed', '1', '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toHaveLength(1);
    expect(lines(run.stdout)[0]).toMatch(PASS_LINE);
    expect(run.stderr).not.toMatch(/up|verify|seed/);
  }, 180_000);

  itWithTool([HAPROXY, FLASK], 'check --quiet --timings: the verdict alone on stdout; on stderr, every phase in order with seconds that add up', async () => {
    const run = await cli(['check', 'ep09', '--runtime', 'local', '--seed', '1', '--quiet', '--timings']);
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([expect.stringMatching(PASS_LINE)]);
    const text = run.stderr.slice(run.stderr.indexOf('timings: '));
    const total = Number(/^timings: ([\d.]+) s in all$/m.exec(text)?.[1]);
    const phases = [...text.matchAll(/^  (\w+) +([\d.]+) s +\d+ %$/gm)].map((m) => ({ name: m[1]!, s: Number(m[2]) }));
    expect(phases.map((p) => p.name)).toEqual(['new', 'prepare', 'up', 'verify', 'down']);
    const sum = phases.reduce((a, p) => a + p.s, 0);
    expect(sum).toBeGreaterThan(0.5 * total);
    expect(sum).toBeLessThanOrEqual(total + 0.05 * phases.length);
    // The steps the progress display showed, each timed: the apps and proxies coming up, the rotation sent.
    expect(text).toMatch(/^ +[\d.]+ s {4}apps answer$/m);
    expect(text).toMatch(/^ +[\d.]+ s {4}roundrobin: /m);
  }, 180_000);

  describe('on a running lab', () => {
    let dir: string;
    beforeAll(async () => {
      dir = join(root, 'lab');
      expect((await cli(['new', 'ep09', '--dir', dir, '--yes'])).code).toBe(0);
      const up = await cli(['up', dir, '--runtime', 'local']);
      expect(up.code, up.stderr).toBe(0);
    }, 180_000);
    afterAll(async () => {
      if (dir) await cli(['down', dir]);
    });

    itWithTool([HAPROXY, FLASK], 'status --json: the running labs alone on stdout', async () => {
      const labs = parsedJson(await cli(['status', '--json'])) as { dir: string; episode: string }[];
      expect(labs.filter((l) => l.dir === dir).map((l) => l.episode)).toEqual(['ep09']);
    });

    itWithTool([HAPROXY, FLASK], 'verify --json -: the report on stdout, the text on stderr; --json FILE: the text on stdout', async () => {
      const run = await cli(['verify', dir, '--seed', '2', '--json', '-']);
      expect(parsedJson(run)).toMatchObject({ verdict: 'pass', seed: '2' });
      expect(run.stderr).toMatch(/· PASS$/m);
      const file = join(root, 'verify.json');
      const toFile = await cli(['verify', dir, '--seed', '2', '--json', file]);
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(toFile.stdout).toMatch(/· PASS$/m);
      expect(toFile.stdout).toContain(`report: ${file}`);
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ verdict: 'pass' });
    }, 120_000);

    itWithTool([HAPROXY, FLASK], 'verify --quiet: the verdict line alone, no progress', async () => {
      const run = await cli(['verify', dir, '--seed', '2', '--quiet']);
      expect(run.code, run.stderr).toBe(0);
      expect(lines(run.stdout)).toHaveLength(1);
      expect(lines(run.stdout)[0]).toMatch(PASS_LINE);
      expect(run.stderr).toBe('');
    }, 120_000);

    itWithTool([HAPROXY, FLASK], 'identify --json --quiet: the result alone on stdout, the verdict line alone on stderr', async () => {
      const run = await cli(['identify', dir, '--seed', '5', '--json', '--quiet']);
      const result = parsedJson(run) as { fits: { algorithms: string[] }[] };
      expect(result.fits).toHaveLength(1);
      expect(result.fits[0]!.algorithms).toContain('roundrobin');
      expect(lines(run.stderr)).toEqual([expect.stringMatching(/^identified .*: .*roundrobin/)]);
    }, 120_000);
  });
});
