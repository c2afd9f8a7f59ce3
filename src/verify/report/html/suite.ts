/** `check --all --html FILE`: the summary (episode × proxy → verdict, requests, time) first, then each lab's full report. */
import { seconds, summaryRows, type SuiteReport } from '../suite.js';
import { html } from './escape.js';
import { htmlDocument, reportBody, verdictHeader } from './page.js';
import { badge } from './sections.js';

export function renderHtmlSuite(s: SuiteReport): string {
  const passed = s.labs.filter((l) => l.report?.verdict === 'pass').length;
  const rows = summaryRows(s).map((r) => html`<tr class="summary ${r.verdict.toLowerCase()}" data-episode="${r.episode}" data-proxy="${r.proxy}" data-verdict="${r.verdict}">
<td><a href="#lab-${r.episode}">${r.episode}</a></td><td>${r.proxy}</td><td>${r.verdict === 'ERROR' ? html`<span class="badge fail">ERROR</span>` : badge(r.verdict)}</td>
<td class="num">${r.requests ?? ''}</td><td class="num">${seconds(r.durationMs)}</td><td>${r.why}</td></tr>`);
  const labs = s.labs.map((l) => html`<section class="lab" id="lab-${l.episode}" data-episode="${l.episode}">
${l.report ? html`${verdictHeader(l.report)}${reportBody(l.report)}` : html`<header class="verdict fail" data-verdict="error"><h1>ERROR — ${l.episode}</h1><p>${l.error?.message ?? 'no report'}</p></header>`}
</section>`);
  const body = html`<header class="verdict ${s.verdict}" data-verdict="${s.verdict}">
<h1>${s.verdict === 'pass' ? 'PASS' : 'FAIL'} — the catalogue: ${passed} of ${s.labs.length} labs passed</h1>
<p>${s.runtime} · proxy ${s.proxy === 'catalogue' ? "each lab's own" : s.proxy} · up to ${s.jobs} labs at a time · ${seconds(s.durationMs)} · started ${s.startedAt}</p>
${s.seed ? html`<p>seed <code class="seed">${s.seed}</code> — repeat with <code>--seed ${s.seed}</code></p>` : html`<p>each lab's seed is in its section: repeat one with <code>haplab check EPISODE --seed S</code></p>`}
</header>
<h2>Summary</h2>
<table class="summary"><thead><tr><th>episode</th><th>proxy</th><th>verdict</th><th>requests</th><th>time</th><th>failed checks / error</th></tr></thead><tbody>${rows}</tbody></table>
${labs}
<footer>haplab check --all</footer>`;
  return htmlDocument(`haplab catalogue ${s.verdict.toUpperCase()}`, body);
}
