/**
 * Observed-vs-expected counts per server as an inline SVG bar chart: two bars a server, the
 * observed one (blue; red where it is off by more than the terminal chart allows) above the
 * expected one (grey). Each bar's length is its count over the largest count on the chart,
 * so lengths compare across servers; each carries its count in data-count.
 */
import { html, raw, type RawHtml } from './escape.js';

const WIDTH = 720;
const LABEL = 140;
const COUNT = 90;
const BAR = 14;
const ROW = 2 * BAR + 14;
const PLOT = WIDTH - LABEL - COUNT;

/** Same tolerance as the terminal chart (barchart.ts): off by more than a quarter, or by more than one at small counts. */
const isOff = (got: number, want: number | undefined) => want !== undefined && Math.abs(got - want) > Math.max(1, 0.25 * want);

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

export interface BarGroup {
  /** What the chart is of: "backend servers". */
  title: string;
  counts: Record<string, number>;
  expected?: Record<string, number>;
}

export function barChartSvg(group: BarGroup): RawHtml {
  const names = [...new Set([...Object.keys(group.expected ?? {}), ...Object.keys(group.counts)])];
  if (names.length === 0) return html`<p class="detail">no responses to chart</p>`;
  const max = Math.max(1, ...names.map((n) => Math.max(group.counts[n] ?? 0, group.expected?.[n] ?? 0)));
  const length = (v: number) => ((v / max) * PLOT).toFixed(2);
  const rows = names.map((name, i) => {
    const y = 8 + i * ROW;
    const got = group.counts[name] ?? 0;
    const want = group.expected?.[name];
    const observed = html`<rect class="bar observed${isOff(got, want) ? ' off' : ''}" data-server="${name}" data-kind="observed" data-count="${got}" x="${LABEL}" y="${y}" width="${length(got)}" height="${BAR}"><title>${name}: ${got} observed</title></rect>
<text x="${LABEL + Number(length(got)) + 6}" y="${y + BAR - 3}">${got}</text>`;
    const expected = want === undefined ? raw('') : html`<rect class="bar expected" data-server="${name}" data-kind="expected" data-count="${want}" x="${LABEL}" y="${y + BAR + 2}" width="${length(want)}" height="${BAR}"><title>${name}: ${fmt(want)} expected</title></rect>
<text x="${LABEL + Number(length(want)) + 6}" y="${y + 2 * BAR - 1}">${fmt(want)} expected</text>`;
    return html`<g class="server"><text x="0" y="${y + BAR}" data-label="${name}">${name.length > 20 ? `${name.slice(0, 19)}…` : name}</text>${observed}${expected}</g>`;
  });
  const height = 8 + names.length * ROW;
  return html`<figure class="chart" data-title="${group.title}">
<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" aria-label="${group.title}: observed and expected responses per server">${rows}</svg>
<figcaption>${group.title} — <span class="legend"><span style="background:var(--observed)"></span>observed<span style="background:var(--expected)"></span>expected<span style="background:var(--fail)"></span>observed, off by more than a quarter</span></figcaption>
</figure>`;
}

/**
 * The report's counts split per backend: keys are "backend/server" where server names repeat
 * across backends (report/types.ts); otherwise all belong to the lab's primary backend.
 */
export function groupsByBackend(counts: Record<string, number>, expected: Record<string, number> | undefined, primary: string): BarGroup[] {
  const backendOf = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : primary);
  const serverOf = (key: string) => (key.includes('/') ? key.slice(key.indexOf('/') + 1) : key);
  const groups = new Map<string, BarGroup>();
  const add = (key: string, value: number, into: 'counts' | 'expected') => {
    const b = backendOf(key);
    const g = groups.get(b) ?? { title: b ? `backend ${b}` : "responses per server", counts: {} };
    if (into === 'expected') g.expected = { ...(g.expected ?? {}), [serverOf(key)]: value };
    else g.counts[serverOf(key)] = value;
    groups.set(b, g);
  };
  for (const [k, v] of Object.entries(counts)) add(k, v, 'counts');
  for (const [k, v] of Object.entries(expected ?? {})) add(k, v, 'expected');
  return [...groups.values()];
}
