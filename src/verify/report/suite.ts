/**
 * `haplab check --all`: the catalogue as one report. Each lab's own Report (or why it has
 * none), its wall time, and one verdict: pass only when every lab ran and passed. The
 * summary rows (episode × proxy → verdict, requests, time) are what the terminal, the
 * JUnit and the HTML writers all show.
 */
import type { ProxyChoice } from '../../lab-schema/types.js';
import type { Report, Verdict } from './types.js';

export interface SuiteLab {
  episode: string;
  /** When its new began (ISO 8601): with durationMs, which labs ran side by side. */
  startedAt?: string;
  /** new → up → verify → down, in milliseconds. */
  durationMs: number;
  report?: Report;
  /** Why there is no report: the lab could not be made, started or verified (exit code as the single check would give). */
  error?: { message: string; exitCode: number };
}

export interface SuiteReport {
  kind: 'suite';
  verdict: Verdict;
  /** The runtime every lab ran on ("docker: unix:///var/run/docker.sock"). */
  runtime: string;
  /** --proxy, or "catalogue" when each lab ran the proxy its spec names. */
  proxy: ProxyChoice | 'catalogue';
  /** Labs run at the same time, at most. */
  jobs: number;
  /** --seed when given (each lab's report carries the seed it used either way). */
  seed?: string;
  startedAt: string;
  durationMs: number;
  labs: SuiteLab[];
}

export interface SummaryRow {
  episode: string;
  proxy: string;
  verdict: 'PASS' | 'FAIL' | 'ERROR';
  requests?: number;
  durationMs: number;
  /** The failed checks' names, or the error. */
  why: string;
}

export function suiteVerdict(labs: readonly SuiteLab[]): Verdict {
  return labs.length > 0 && labs.every((l) => l.report?.verdict === 'pass') ? 'pass' : 'fail';
}

const failedChecks = (r: Report): string => r.checks.filter((c) => !c.pass && !c.skipped).map((c) => c.name).join(', ');

/** One row per lab and proxy; a lab that ran both proxies has a row for each (the same time: they ran together). */
export function summaryRows(suite: SuiteReport): SummaryRow[] {
  return suite.labs.flatMap((lab): SummaryRow[] => {
    if (!lab.report) return [{ episode: lab.episode, proxy: '—', verdict: 'ERROR', durationMs: lab.durationMs, why: lab.error?.message ?? 'no report' }];
    const per = lab.report.reports ?? [lab.report];
    const rows = per.map((r): SummaryRow => ({
      episode: lab.episode, proxy: r.proxy, verdict: r.verdict === 'pass' ? 'PASS' : 'FAIL', requests: r.requests, durationMs: lab.durationMs, why: failedChecks(r),
    }));
    // Cross-proxy checks (parity) belong to neither proxy: a failed one shows on every row.
    const cross = lab.report.reports ? failedChecks(lab.report) : '';
    return cross ? rows.map((r) => ({ ...r, verdict: 'FAIL', why: [r.why, cross].filter(Boolean).join(', ') })) : rows;
  });
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The summary as a text table for the terminal; `why` is cut to the width left (the full text is in the reports). */
export function renderSummary(suite: SuiteReport, width = 100): string {
  const rows = summaryRows(suite);
  const head = ['episode', 'proxy', 'verdict', 'requests', 'time', 'failed checks / error'];
  const cells = rows.map((r) => [r.episode, r.proxy, r.verdict, r.requests === undefined ? '' : String(r.requests), seconds(r.durationMs), r.why]);
  const widths = head.slice(0, 5).map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const used = widths.reduce((s, w) => s + w + 2, 0);
  const room = Math.max(20, width - used);
  const line = (c: string[]) => [...c.slice(0, 5).map((x, i) => (i === 3 || i === 4 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))), c[5]!.length > room ? `${c[5]!.slice(0, room - 1)}…` : c[5]!].join('  ').trimEnd();
  const passed = suite.labs.filter((l) => l.report?.verdict === 'pass').length;
  return [
    line(head),
    line([...widths.map((w) => '─'.repeat(w)), '─'.repeat(Math.min(room, 21))]),
    ...cells.map(line),
    '',
    `${suite.verdict.toUpperCase()}: ${passed} of ${suite.labs.length} labs passed in ${seconds(suite.durationMs)} (${suite.runtime}, up to ${suite.jobs} at a time)`,
  ].join('\n');
}
