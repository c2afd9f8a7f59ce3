/**
 * check --all's report: a row per lab and proxy (a failed cross-proxy check fails both rows),
 * a lab with no report is an ERROR row and a JUnit <error>, the verdict passes only when
 * every lab passed, and a saved suite reads back as one.
 */
import { describe, expect, it } from 'vitest';
import { suiteToJunit } from '../../../src/verify/report/junit.js';
import { readSavedReport } from '../../../src/verify/report/saved.js';
import { renderSummary, suiteVerdict, summaryRows, type SuiteLab, type SuiteReport } from '../../../src/verify/report/suite.js';
import type { Check, Report } from '../../../src/verify/report/types.js';

const check = (name: string, pass: boolean): Check => ({ name, expected: 'e', observed: 'o', pass, detail: 'd' });
const report = (episode: string, proxy: 'haproxy' | 'ts', checks: Check[]): Report => ({
  lab: `${episode}-lab`, episode, proxy, runtime: 'local', algorithm: 'roundrobin', verdict: checks.every((c) => c.pass) ? 'pass' : 'fail',
  requests: 10, counts: {}, checks, notes: [], seed: 's',
});

function suite(labs: SuiteLab[]): SuiteReport {
  return { kind: 'suite', verdict: suiteVerdict(labs), runtime: 'local', proxy: 'both', jobs: 2, startedAt: '2026-12-01T00:00:00Z', durationMs: 1000, labs };
}

describe('check --all report', () => {
  const both: Report = {
    ...report('ep05', 'haproxy', [check('parity.same-servers', false)]), proxy: 'both', verdict: 'fail',
    reports: [report('ep05', 'haproxy', [check('rr.order', true)]), report('ep05', 'ts', [check('rr.order', true)])],
  };
  const labs: SuiteLab[] = [
    { episode: 'ep05', durationMs: 2000, report: both },
    { episode: 'ep09', durationMs: 1500, report: report('ep09', 'haproxy', [check('rr.order', true)]) },
    { episode: 'ep04', durationMs: 300, error: { message: 'port 8040 is taken', exitCode: 3 } },
  ];

  it('rows: one per proxy, a cross-proxy failure on each, an error row for a lab with no report', () => {
    expect(summaryRows(suite(labs)).map((r) => [r.episode, r.proxy, r.verdict, r.why])).toEqual([
      ['ep05', 'haproxy', 'FAIL', 'parity.same-servers'],
      ['ep05', 'ts', 'FAIL', 'parity.same-servers'],
      ['ep09', 'haproxy', 'PASS', ''],
      ['ep04', '—', 'ERROR', 'port 8040 is taken'],
    ]);
    expect(renderSummary(suite(labs))).toMatch(/^FAIL: 1 of 3 labs passed/m);
  });

  it('the verdict passes only when every lab ran and passed', () => {
    expect(suiteVerdict(labs)).toBe('fail');
    expect(suiteVerdict([labs[1]!])).toBe('pass');
    expect(suiteVerdict([labs[1]!, labs[2]!])).toBe('fail');
    expect(suiteVerdict([])).toBe('fail');
  });

  it('JUnit: every proxy\'s suite, the cross-proxy one, and an <error> for the lab that did not run', () => {
    const xml = suiteToJunit(suite(labs));
    expect(xml.match(/<testsuite /g)).toHaveLength(5);
    expect(xml).toMatch(/<testsuites name="haplab catalogue" tests="5" failures="1" errors="1"/);
    expect(xml).toContain('<error message="port 8040 is taken" type="environment"/>');
  });

  it('a saved suite reads back as one; a broken lab inside it is named', () => {
    const saved = JSON.parse(JSON.stringify(suite(labs))) as unknown;
    expect(readSavedReport(saved)).toMatchObject({ kind: 'suite' });
    const broken = JSON.parse(JSON.stringify(suite(labs))) as { labs: { report?: { checks?: unknown } }[] };
    delete broken.labs[1]!.report!.checks;
    expect(readSavedReport(broken)).toBe('labs[1].report: not a haplab report: no "checks" (array)');
  });
});
