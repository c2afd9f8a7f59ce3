/**
 * The report for people: per proxy, a header, the bar chart of counts (expected beside
 * observed), and a table of checks (expected, observed, statistic, p-value, verdict), then
 * the notes. Colour only when writing to a TTY (the caller says); plain text otherwise.
 */
import { renderCandidates } from './candidates.js';
import { barChart } from './barchart.js';
import type { Check, Report } from './types.js';

export interface TerminalOptions {
  color?: boolean;
  /** Wrap long cells at this many characters. */
  cellWidth?: number;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };

function verdictText(check: Check): 'PASS' | 'FAIL' | 'SKIP' {
  return check.skipped ? 'SKIP' : check.pass ? 'PASS' : 'FAIL';
}

function fmtNum(x: number | undefined): string {
  if (x === undefined) return '';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();
}

function clip(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}

export function renderChecks(checks: readonly Check[], options: TerminalOptions = {}): string {
  const color = options.color ?? false;
  const w = options.cellWidth ?? 48;
  const head = ['check', 'expected', 'observed', 'statistic', 'p-value', 'verdict'];
  const rows = checks.map((c) => [clip(c.name, w), clip(c.expected, w), clip(c.observed, w), fmtNum(c.statistic), fmtNum(c.pValue), verdictText(c)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const paintVerdict = (v: string) => {
    if (!color) return v;
    return (v === 'PASS' ? ANSI.green : v === 'FAIL' ? ANSI.red : ANSI.yellow) + v + ANSI.reset;
  };
  const out = [line(head), widths.map((n) => '─'.repeat(n)).join('  ')];
  rows.forEach((r, i) => {
    out.push(`${r.slice(0, 5).map((cell, j) => cell.padEnd(widths[j]!)).join('  ')}  ${paintVerdict(r[5]!)}`);
    const c = checks[i]!;
    if (!c.pass) out.push(`  ${color ? ANSI.dim : ''}↳ ${c.detail}${color ? ANSI.reset : ''}`);
    c.covers?.forEach((rule, k) => out.push(`  ${color ? ANSI.dim : ''}${k === 0 ? 'covers:' : '       '} ${rule}${color ? ANSI.reset : ''}`));
  });
  return out.join('\n');
}

function renderOne(report: Report, options: TerminalOptions): string {
  const color = options.color ?? false;
  const v = report.verdict.toUpperCase();
  const verdict = color ? `${report.verdict === 'pass' ? ANSI.green : ANSI.red}${ANSI.bold}${v}${ANSI.reset}` : v;
  const parts = [
    `${report.episode} · ${report.lab} · proxy ${report.proxy} · ${report.runtime} · ${report.algorithm} · ${report.requests} requests · ${verdict}`,
    '',
    barChart(report.counts, report.expectedCounts, {
      paint: color ? (b, ok) => (ok ? ANSI.green : ANSI.red) + b + ANSI.reset : undefined,
    }),
    '',
    renderChecks(report.checks, options),
  ];
  const candidates = renderCandidates(report.candidates);
  if (candidates) parts.push('', candidates);
  return parts.join('\n');
}

export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const sections = report.reports ? report.reports.map((r) => renderOne(r, options)) : [renderOne(report, options)];
  if (report.reports) {
    const v = report.verdict.toUpperCase();
    sections.unshift(`${report.episode} · ${report.lab} · both proxies, same traffic · overall ${v}`);
    if (report.checks.length) sections.push(renderChecks(report.checks, options));
  }
  const notes = report.notes.length ? `\nnotes:\n${report.notes.map((n) => `  - ${n}`).join('\n')}` : '';
  return `${sections.join('\n\n')}\n${notes}\nseed ${report.seed} (repeat with --seed ${report.seed})\n`;
}

/** The one line `--quiet` prints: the verdict first, then what was checked and how many checks failed. */
export function verdictLine(report: Report): string {
  const all = [...(report.reports ?? [report]).flatMap((r) => r.checks), ...(report.reports ? report.checks : [])];
  const ran = all.filter((c) => !c.skipped);
  const failed = ran.filter((c) => !c.pass).length;
  return `${report.verdict.toUpperCase()} ${report.episode} · ${report.lab} · proxy ${report.proxy} · ${report.runtime} · ${report.algorithm} · ${ran.length - failed}/${ran.length} checks passed`;
}
