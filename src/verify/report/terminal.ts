/**
 * The report for people: per proxy, a header, the bar chart of counts (expected beside
 * observed), and a table of checks (expected, observed, statistic, p-value, verdict), then
 * the notes. Colour only when writing to a TTY (the caller says); plain text otherwise.
 */
import { renderCandidates } from './candidates.js';
import { barChart } from './barchart.js';
import type { Check, Report } from './types.js';
import { fitColumns, limitLines, MIN_COLUMN, wrapText } from './wrap.js';

export interface TerminalOptions {
  color?: boolean;
  /** The terminal's width in characters: the table wraps its cells to fit (100 when not said). */
  width?: number;
  /** Every cell in full, and every check's detail (not only a failed one's). */
  verbose?: boolean;
}

/** The width when the caller names none (not a terminal: a log or a pipe). */
export const DEFAULT_WIDTH = 100;
/** Lines a cell may take unless --verbose; the last one ends with "…" when text was left out. */
export const CELL_LINES = 3;

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };

function verdictText(check: Check): 'PASS' | 'FAIL' | 'SKIP' {
  return check.skipped ? 'SKIP' : check.pass ? 'PASS' : 'FAIL';
}

export function fmtNum(x: number | undefined): string {
  if (x === undefined) return '';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();
}

const HEAD = ['check', 'expected', 'observed', 'statistic', 'p-value', 'verdict'];
/** check, expected and observed share the width; the numbers and the verdict keep theirs. */
const WRAPPED = 3;
const GAP = 2;

/**
 * The table of checks fitted to `width`: the three text columns wrap at spaces (at most
 * CELL_LINES lines each, all of it with `verbose`), a failed check's detail follows its row.
 */
export function renderChecks(checks: readonly Check[], options: TerminalOptions = {}): string {
  const color = options.color ?? false;
  const width = options.width ?? DEFAULT_WIDTH;
  const cells = checks.map((c) => [c.name, c.expected, c.observed, fmtNum(c.statistic), fmtNum(c.pValue), verdictText(c)]);
  const natural = HEAD.map((h, i) => Math.max(h.length, ...cells.map((r) => Math.max(...r[i]!.split('\n').map((l) => l.length)))));
  const fixed = natural.slice(WRAPPED).reduce((s, n) => s + n, 0) + GAP * (HEAD.length - 1);
  const widths = [...fitColumns(natural.slice(0, WRAPPED), width - fixed), ...natural.slice(WRAPPED)];
  const paintVerdict = (v: string) => {
    if (!color) return v;
    return (v === 'PASS' ? ANSI.green : v === 'FAIL' ? ANSI.red : ANSI.yellow) + v + ANSI.reset;
  };
  const dim = (s: string) => (color ? `${ANSI.dim}${s}${ANSI.reset}` : s);
  const row = (columns: string[][], paint = (s: string) => s): string[] => {
    const height = Math.max(...columns.map((c) => c.length));
    return Array.from({ length: height }, (_, k) => columns
      .map((lines, j) => {
        const cell = lines[k] ?? '';
        return j === columns.length - 1 ? paint(cell) : cell.padEnd(widths[j]!);
      })
      .join(' '.repeat(GAP))
      .trimEnd());
  };
  const out = [...row(HEAD.map((h) => [h])), widths.map((n) => '─'.repeat(n)).join(' '.repeat(GAP))];
  cells.forEach((r, i) => {
    const columns = r.map((cell, j) => {
      if (j >= WRAPPED) return [cell];
      const lines = wrapText(cell, widths[j]!);
      return options.verbose ? lines : limitLines(lines, CELL_LINES, widths[j]!);
    });
    out.push(...row(columns, paintVerdict));
    const c = checks[i]!;
    if (!c.pass || options.verbose) {
      wrapText(c.detail, Math.max(MIN_COLUMN, width - 4)).forEach((l, k) => out.push(`  ${dim(`${k === 0 ? '↳' : ' '} ${l}`)}`));
    }
    c.covers?.forEach((rule, k) => out.push(`  ${dim(`${k === 0 ? 'covers:' : '       '} ${rule}`)}`));
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
  const candidates = renderCandidates(report.candidates, { verbose: options.verbose });
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
