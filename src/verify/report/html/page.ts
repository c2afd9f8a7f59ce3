/**
 * `--html FILE`: a report as one self-contained page. Inline CSS and SVG only; a
 * Content-Security-Policy that forbids every fetch, so the page works offline and cannot
 * reach anything even if a text in it tried. Verdict first, then per proxy: the counts
 * charted against what the model expects, the checks in full, the candidates, the config
 * that ran; then the notes and the seed that repeats the run.
 */
import type { Report } from '../types.js';
import { barChartSvg, groupsByBackend } from './bars.js';
import { html, raw, type RawHtml } from './escape.js';
import { badge, candidatesSection, checksTable, configSection, notesList } from './sections.js';
import { STYLE } from './style.js';

/** No network: nothing but the inline style sheet, and images only as data: URLs. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function htmlDocument(title: string, body: RawHtml): string {
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${raw(STYLE)}</style></head>
<body>${body}</body></html>`.html}\n`;
}

const proxyName = (p: string) => (p === 'ts' ? "haplab's TypeScript proxy" : p === 'haproxy' ? 'HAProxy' : p);

function proxySection(r: Report, level: 'h2' | 'h3'): RawHtml {
  const primary = r.candidates?.[0]?.backend ?? '';
  const charts = groupsByBackend(r.counts, r.expectedCounts, primary).map(barChartSvg);
  const heading = html`${proxyName(r.proxy)} ${badge(r.verdict === 'pass' ? 'PASS' : 'FAIL')} <small>${r.requests} requests</small>`;
  return html`<section class="proxy-report" data-proxy="${r.proxy}" data-verdict="${r.verdict}">
${level === 'h2' ? html`<h2>${heading}</h2>` : html`<h3>${heading}</h3>`}
<h3>Observed and expected responses</h3>${charts}
<h3>Checks</h3>${checksTable(r.checks)}
${candidatesSection(r.candidates)}
${configSection(r.config, r.configDrift)}
${notesList(r.notes)}
</section>`;
}

/** The header of a single report: the verdict big, what ran, and how to repeat it. */
export function verdictHeader(r: Report): RawHtml {
  const proxies = r.reports ? 'HAProxy and the TypeScript proxy, same traffic' : proxyName(r.proxy);
  return html`<header class="verdict ${r.verdict}" data-verdict="${r.verdict}">
<h1>${r.verdict === 'pass' ? 'PASS' : 'FAIL'} — ${r.episode}: ${r.algorithm}</h1>
<p>lab ${r.lab} · ${proxies} · ${r.runtime} runtime · ${r.requests} requests</p>
<p>seed <code class="seed">${r.seed}</code> — repeat the run with <code>--seed ${r.seed}</code></p>
</header>`;
}

/** One report's body (the suite page puts several on one page). */
export function reportBody(r: Report): RawHtml {
  const sections = r.reports ? r.reports.map((x) => proxySection(x, 'h2')) : [proxySection({ ...r, notes: [] }, 'h2')];
  const cross = r.reports && r.checks.length ? html`<section class="cross"><h2>Both proxies</h2>${checksTable(r.checks)}</section>` : raw('');
  return html`${sections}${cross}<section class="run-notes">${notesList(r.notes)}</section>`;
}

export function renderHtmlReport(r: Report): string {
  return htmlDocument(`haplab ${r.episode} ${r.verdict.toUpperCase()}`, html`${verdictHeader(r)}${reportBody(r)}
<footer>haplab report · seed ${r.seed}</footer>`);
}
