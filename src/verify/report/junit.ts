/**
 * `--junit F`: JUnit XML for CI systems. One <testsuite> per proxy, one <testcase> per check,
 * <failure> for a failed check, <skipped> for a skipped one (never counted as passed).
 */
import { writeFile } from 'node:fs/promises';
import type { SuiteReport } from './suite.js';
import type { Check, Report } from './types.js';

/** Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function testcase(check: Check, classname: string): string {
  const name = `name="${xmlEscape(check.name)}" classname="${xmlEscape(classname)}"`;
  const summary = `expected: ${check.expected}\nobserved: ${check.observed}` +
    (check.statistic !== undefined ? `\nstatistic: ${check.statistic}` : '') +
    (check.pValue !== undefined ? `\np-value: ${check.pValue}` : '') + `\n${check.detail}` +
    (check.covers?.length ? `\ncovers: ${check.covers.join('; ')}` : '');
  if (check.skipped) return `    <testcase ${name}>\n      <skipped message="${xmlEscape(check.skipped)}"/>\n    </testcase>`;
  if (!check.pass) {
    return `    <testcase ${name}>\n      <failure message="${xmlEscape(`${check.name}: expected ${check.expected}, observed ${check.observed}`)}" type="check">${xmlEscape(summary)}</failure>\n    </testcase>`;
  }
  return `    <testcase ${name}>\n      <system-out>${xmlEscape(summary)}</system-out>\n    </testcase>`;
}

function suite(report: Report): string {
  const failures = report.checks.filter((c) => !c.pass && !c.skipped).length;
  const skipped = report.checks.filter((c) => c.skipped).length;
  const name = `${report.episode}.${report.proxy}`;
  const props = [
    ['lab', report.lab], ['runtime', report.runtime], ['algorithm', report.algorithm], ['requests', String(report.requests)],
    ['seed', report.seed], ['verdict', report.verdict],
  ].map(([k, v]) => `      <property name="${k}" value="${xmlEscape(v!)}"/>`).join('\n');
  const cases = report.checks.map((c) => testcase(c, `haplab.${name}`)).join('\n');
  return `  <testsuite name="${xmlEscape(name)}" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="${skipped}">\n    <properties>\n${props}\n    </properties>\n${cases}\n  </testsuite>`;
}

/** A report's suites: one per proxy, plus one for the cross-proxy checks of a "both" report. */
function suitesOf(report: Report): Report[] {
  return report.reports ? [...report.reports, ...(report.checks.length ? [{ ...report, reports: undefined }] : [])] : [report];
}

function testsuites(name: string, reports: readonly Report[], errors: readonly { name: string; message: string }[]): string {
  const all = reports.flatMap((r) => r.checks);
  const failures = all.filter((c) => !c.pass && !c.skipped).length;
  const skipped = all.filter((c) => c.skipped).length;
  // A lab that never produced a report is one suite with one <error>: CI shows it, never as passed.
  const errored = errors.map((e) => `  <testsuite name="${xmlEscape(e.name)}" tests="1" failures="0" errors="1" skipped="0">\n    <testcase name="lab" classname="haplab.${xmlEscape(e.name)}">\n      <error message="${xmlEscape(e.message)}" type="environment"/>\n    </testcase>\n  </testsuite>`);
  const body = [...reports.map(suite), ...errored].join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(name)}" tests="${all.length + errors.length}" failures="${failures}" errors="${errors.length}" skipped="${skipped}">\n${body}\n</testsuites>\n`;
}

export function reportToJunit(report: Report): string {
  return testsuites(`haplab ${report.lab}`, suitesOf(report), []);
}

/** check --all: every lab's suites in one file. */
export function suiteToJunit(s: SuiteReport): string {
  const reports = s.labs.flatMap((l) => (l.report ? suitesOf(l.report) : []));
  const errors = s.labs.filter((l) => !l.report).map((l) => ({ name: l.episode, message: l.error?.message ?? 'no report' }));
  return testsuites('haplab catalogue', reports, errors);
}

export async function writeJunitReport(file: string, report: Report | SuiteReport): Promise<void> {
  await writeFile(file, 'kind' in report ? suiteToJunit(report) : reportToJunit(report), 'utf8');
}
