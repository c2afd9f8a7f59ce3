/** `haplab identify … --html FILE`: what fits, the shares seen, what was ruled out and why, and how to repeat it. */
import type { IdentifyResult } from '../../identify/index.js';
import { barChartSvg } from './bars.js';
import { html } from './escape.js';
import { htmlDocument } from './page.js';

/** What identify saves with --json: the result, the target and the seed (cli/identify.ts). */
export interface IdentifyRecord extends IdentifyResult {
  target: string;
  seed: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function renderIdentifyHtml(r: IdentifyRecord): string {
  const identified = r.fits.length === 1;
  const verdict = identified ? 'pass' : 'fail';
  const headline = identified ? `identified: ${r.fits[0]!.algorithms.join(' ≡ ')}` : r.fits.length === 0 ? 'not identified: nothing haplab knows fits' : `not identified: ${r.fits.length} classes fit`;
  // Shares in per cent (one decimal): the chart compares servers, the table gives the intervals.
  const shares = Object.fromEntries(r.shares.map((s) => [s.server, Math.round(s.share * 1000) / 10]));
  const fits = r.fits.map((cls, i) => html`<section class="fit" data-algorithms="${cls.algorithms.join(',')}">
<h3>${r.fits.length > 1 ? `Fits (${i + 1} of ${r.fits.length})` : 'Fits'}: ${cls.algorithms.join(' ≡ ')}</h3>
${cls.algorithms.length > 1 ? html`<p>This traffic cannot tell them apart.</p>` : ''}
<table><thead><tr><th>algorithm</th><th>server order and weights</th></tr></thead><tbody>${Object.entries(cls.variants).map(([a, v]) => html`<tr><td class="mono">${a}</td><td class="mono">${v}</td></tr>`)}</tbody></table>
<ul class="notes">${cls.evidence.map((e) => html`<li>${e}</li>`)}</ul></section>`);
  const body = html`<header class="verdict ${verdict}" data-verdict="${verdict}">
<h1>${headline}</h1>
<p>${r.target} · ${r.requests} requests · servers seen: ${r.servers.join(', ') || 'none'}${r.unanswered ? ` · ${r.unanswered} named no server` : ''}</p>
<p>seed <code class="seed">${r.seed}</code> — repeat with <code>--seed ${r.seed}</code></p>
</header>
<h2>Shares of the sequential requests</h2>${barChartSvg({ title: 'share of sequential requests (%)', counts: shares })}
<table class="shares"><thead><tr><th>server</th><th>share</th><th>95 % Wilson interval</th></tr></thead><tbody>${r.shares.map((s) => html`<tr data-server="${s.server}"><td class="mono">${s.server}</td><td class="num">${pct(s.share)}</td><td class="num">${pct(s.low)} – ${pct(s.high)}</td></tr>`)}</tbody></table>
<h2>Not ruled out</h2>${r.fits.length ? fits : html`<p>Not one of haplab's algorithms explains what was seen.</p>`}
<h2>Ruled out (${r.ruledOut.length})</h2>
<table class="candidates"><thead><tr><th>algorithm</th><th>why</th></tr></thead><tbody>${r.ruledOut.map((x) => html`<tr class="candidate" data-candidate="${x.algorithm}" data-status="ruled-out"><td class="mono">${x.algorithm}</td><td>${x.reason}</td></tr>`)}</tbody></table>
<footer>haplab identify · seed ${r.seed}</footer>`;
  return htmlDocument(`haplab identify ${r.target}`, body);
}
