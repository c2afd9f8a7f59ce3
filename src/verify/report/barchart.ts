/**
 * Counts per server as a bar chart in plain Unicode blocks, expected beside observed
 * (docs/verification.md), readable without colour and in any log.
 */

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `value / max` of `width` cells, with eighth-cell resolution. */
export function bar(value: number, max: number, width: number): string {
  if (!(max > 0) || !(value > 0)) return '';
  const eighths = Math.round((value / max) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8]!;
}

export interface ChartOptions {
  width?: number;
  /** Wraps the observed bar (colour on a TTY); identity by default. */
  paint?: (bar: string, ok: boolean) => string;
}

/**
 * One row per server: its name, the observed bar and count, and the expected bar and count
 * below it (░), so a missing or skewed server shows at a glance.
 */
export function barChart(counts: Record<string, number>, expected: Record<string, number> | undefined, options: ChartOptions = {}): string {
  const width = options.width ?? 40;
  const paint = options.paint ?? ((s: string) => s);
  const names = [...new Set([...Object.keys(expected ?? {}), ...Object.keys(counts)])];
  if (names.length === 0) return '(no responses)';
  const max = Math.max(...names.map((n) => Math.max(counts[n] ?? 0, expected?.[n] ?? 0)));
  const pad = Math.max(...names.map((n) => n.length));
  const lines: string[] = [];
  for (const name of names) {
    const got = counts[name] ?? 0;
    const want = expected?.[name];
    const ok = want === undefined || Math.abs(got - want) <= Math.max(1, 0.25 * want);
    lines.push(`${name.padEnd(pad)} │${paint(bar(got, max, width), ok)} ${got}`);
    if (want !== undefined) lines.push(`${' '.repeat(pad)} │${bar(want, max, width).replace(/[█▏▎▍▌▋▊▉]/g, '░')} ${formatExpected(want)} expected`);
  }
  return lines.join('\n');
}

function formatExpected(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}
