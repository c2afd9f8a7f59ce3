/**
 * The flags of this round, refused as bad input (exit 2, one line naming the flag) before
 * anything starts: --all with a lab, -j without --all or out of range, no lab at all; and
 * `haplab report` on a file that is not JSON, or JSON that is no haplab report.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DIST, describeWithTool } from '../helpers/require-tool.js';

describeWithTool(DIST, 'check --all, -j and report: bad input', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'haplab-report-cli-')); });
  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it.each([
    [['check', '--all', 'ep09'], /--all: .*"ep09" was given too/],
    [['check', 'ep09', '-j', '2'], /-j: -j is for --all only/],
    [['check', '--all', '-j', '0'], /-j: job count "0" is not a whole number from 1 to 64/],
    [['check', '--all', '-j', 'x'], /-j: job count "x"/],
    [['check'], /LAB: no lab given — name an episode \(ep02/],
  ])('%j is refused with one line', async (args, line) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(line);
    expect(r.stdout).toBe('');
  });

  it('report refuses what is not a saved report, naming why', async () => {
    await writeFile(join(dir, 'bad.json'), '{"lab": 1');
    await writeFile(join(dir, 'other.json'), JSON.stringify({ lab: 'x', episode: 'ep09', proxy: 'haproxy', verdict: 'pass', seed: '1', requests: 3, counts: {}, notes: [] }));
    const notJson = await runCli(['report', join(dir, 'bad.json'), '--html', join(dir, 'o.html')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/is not JSON/);
    const noChecks = await runCli(['report', join(dir, 'other.json'), '--html', join(dir, 'o.html')]);
    expect(noChecks.code).toBe(2);
    expect(noChecks.stderr).toMatch(/not a haplab report: no "checks" \(array\)/);
    const missing = await runCli(['report', join(dir, 'nope.json'), '--html', join(dir, 'o.html')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json: ENOENT/);
  });
});
