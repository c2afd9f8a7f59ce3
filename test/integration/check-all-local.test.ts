/**
 * `haplab check --all` on the local runtime, as an instructor runs it before a class: every
 * episode of the catalogue, two at a time (-j 2), one summary table and one JSON, JUnit and
 * HTML report for all. Every lab must pass (exit 0); labs ran side by side (some overlap in
 * time), except those that must run alone (leastconn, random, health checks: they time servers under
 * load), which overlap none; the JUnit holds every lab's suites; the JSON turns back into
 * the same page with `haplab report`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalogueIds, loadEpisode } from '../../src/lab-schema/catalogue.js';
import { needsMachineAlone } from '../../src/cli/check-all/run-lab.js';
import type { SuiteReport } from '../../src/verify/report/suite.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { DIST, describeWithTool } from '../helpers/require-tool.js';

const interval = (l: SuiteReport['labs'][number]) => {
  const start = Date.parse(l.startedAt!);
  return [start, start + l.durationMs] as const;
};
const overlap = (a: readonly [number, number], b: readonly [number, number]) => a[0] < b[1] && b[0] < a[1];

describeWithTool(DIST, 'haplab check --all on the local runtime', () => {
  let dir: string;
  let run: CliResult;
  let suite: SuiteReport;
  let episodes: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haplab-all-'));
    episodes = await catalogueIds();
    const started = Date.now();
    run = await runCli(['check', '--all', '--runtime', 'local', '-j', '2', '--seed', 'all-local', '--json', join(dir, 'all.json'), '--junit', join(dir, 'all.xml'), '--html', join(dir, 'all.html')], { timeoutMs: 900_000 });
    console.log(`check --all on local: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    suite = JSON.parse(await readFile(join(dir, 'all.json'), 'utf8')) as SuiteReport;
  }, 960_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every lab ran and passed: exit 0, and a summary row per episode', () => {
    const failed = suite.labs.filter((l) => l.report?.verdict !== 'pass').map((l) => `${l.episode}: ${l.error?.message ?? l.report!.checks.filter((c) => !c.pass && !c.skipped).map((c) => `${c.name} (${c.detail})`).join('; ')}`);
    expect(failed).toEqual([]);
    expect(run.code, run.stdout.slice(-3000) + run.stderr).toBe(0);
    expect(suite.verdict).toBe('pass');
    expect(suite.labs.map((l) => l.episode)).toEqual(episodes);
    for (const e of episodes) expect(run.stdout).toMatch(new RegExp(`^${e}\\s+haproxy\\s+PASS\\s+\\d+\\s+[\\d.]+ s`, 'm'));
    expect(run.stdout).toContain(`PASS: ${episodes.length} of ${episodes.length} labs passed`);
  });

  it('labs ran side by side, and the load-timed ones alone', async () => {
    const alone = new Set<string>();
    for (const e of episodes) if (needsMachineAlone(await loadEpisode(e), false)) alone.add(e);
    expect([...alone].sort()).toEqual(['ep06', 'ep08', 'ep11']);
    let sideBySide = 0;
    for (const a of suite.labs) {
      for (const b of suite.labs) {
        if (a.episode >= b.episode || !overlap(interval(a), interval(b))) continue;
        expect(alone.has(a.episode) || alone.has(b.episode), `${a.episode} and ${b.episode} overlapped`).toBe(false);
        sideBySide++;
      }
    }
    expect(sideBySide).toBeGreaterThan(0);
    // Two at a time at most: no instant is inside three labs' intervals.
    for (const l of suite.labs) {
      const at = interval(l)[0] + 1;
      expect(suite.labs.filter((x) => interval(x)[0] <= at && at < interval(x)[1]).length).toBeLessThanOrEqual(2);
    }
  });

  it('one JUnit file holds every lab\'s suite; the JSON makes the same page the run wrote', async () => {
    const xml = await readFile(join(dir, 'all.xml'), 'utf8');
    for (const e of episodes) expect(xml).toContain(`<testsuite name="${e}.haproxy"`);
    expect(xml).toMatch(/<testsuites name="haplab catalogue" tests="\d+" failures="0" errors="0"/);
    const again = await runCli(['report', join(dir, 'all.json'), '--html', join(dir, 'again.html')]);
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(join(dir, 'again.html'), 'utf8')).toBe(await readFile(join(dir, 'all.html'), 'utf8'));
  });
});
