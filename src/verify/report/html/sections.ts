/** The parts of a report page: the checks with their full text, the candidates with evidence, the config that ran, the notes. */
import type { CandidateReport } from '../../candidates/judge.js';
import { fmtNum } from '../terminal.js';
import type { Check, ConfigDriftReport, RunningConfig } from '../types.js';
import { html, raw, type RawHtml } from './escape.js';

export type Outcome = 'pass' | 'fail' | 'skip';
export const outcomeOf = (c: Check): Outcome => (c.skipped ? 'skip' : c.pass ? 'pass' : 'fail');
export const badge = (o: Outcome | 'PASS' | 'FAIL'): RawHtml => html`<span class="badge ${o.toLowerCase()}">${o.toUpperCase()}</span>`;

export function checksTable(checks: readonly Check[]): RawHtml {
  if (checks.length === 0) return html`<p class="detail">no checks</p>`;
  const rows = checks.map((c) => {
    const o = outcomeOf(c);
    const covers = c.covers?.length ? html`<ul class="covers">${c.covers.map((r) => html`<li>covers: ${r}</li>`)}</ul>` : raw('');
    return html`<tr class="check ${o}" data-check="${c.name}" data-outcome="${o}">
<td class="mono">${c.name}</td><td>${c.expected}</td><td>${c.observed}</td>
<td class="num">${fmtNum(c.statistic)}</td><td class="num">${fmtNum(c.pValue)}</td><td>${badge(o)}</td>
<td>${c.detail}${covers}</td></tr>`;
  });
  // Fixed widths: the long texts (expected, why) get the room, the numbers only what they need.
  const cols = [16, 22, 16, 7, 7, 6, 26].map((w) => html`<col style="width:${w}%">`);
  return html`<table class="checks"><colgroup>${cols}</colgroup><thead><tr><th>check</th><th>expected</th><th>observed</th><th>statistic</th><th>p-value</th><th>verdict</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const STATUS: Record<string, string> = {
  consistent: 'fits', inconsistent: 'does not fit', 'ruled-out': 'ruled out', 'not-ruled-out': 'not ruled out', 'not-separated': 'not separated',
};

export function candidatesSection(reports: readonly CandidateReport[] | undefined): RawHtml {
  if (!reports?.length) return raw('');
  return html`${reports.map((r) => {
    const others = r.outcomes.filter((o) => o.kind !== 'configured');
    const ruledOut = others.filter((o) => o.status === 'ruled-out');
    const standing = r.outcomes.filter((o) => o.status !== 'ruled-out');
    const row = (o: CandidateReport['outcomes'][number]) => html`<tr class="candidate" data-candidate="${o.label}" data-status="${o.status}">
<td class="mono">${o.label}</td><td>${STATUS[o.status] ?? o.status}</td><td>${o.reason}</td>
<td>${o.findings.length ? html`<ul class="covers">${o.findings.map((f) => html`<li>${f.evidence}: ${f.rejected ? 'rejects' : 'does not reject'}${f.pValue !== undefined ? ` (p ${fmtNum(f.pValue)})` : ''} — ${f.detail}</li>`)}</ul>` : ''}</td></tr>`;
    const cols = [18, 12, 35, 35].map((w) => html`<col style="width:${w}%">`);
    const table = (list: typeof r.outcomes) => html`<table class="candidates"><colgroup>${cols}</colgroup><thead><tr><th>candidate</th><th>status</th><th>reason</th><th>evidence</th></tr></thead><tbody>${list.map(row)}</tbody></table>`;
    return html`<h3>Candidates for backend ${r.backend} (configured: ${r.configured})</h3>
<p>${ruledOut.length} of ${others.length} alternatives ruled out.</p>
<h4>Not ruled out (the configured one first)</h4>${table(standing)}
<details${ruledOut.length <= 12 ? ' open' : ''}><summary>Ruled out (${ruledOut.length})</summary>${table(ruledOut)}</details>`;
  })}`;
}

export function configSection(config: RunningConfig | undefined, drift: ConfigDriftReport | undefined): RawHtml {
  if (!config && !drift) return raw('');
  const differences = drift?.error
    ? html`<p>Could not be compared with lab.yaml: ${drift.error}</p>`
    : drift?.differences.length
      ? html`<p>Differs from lab.yaml:</p><ul>${drift.differences.map((d) => html`<li>${d}</li>`)}</ul>`
      : drift ? html`<p>Says what lab.yaml says.</p>` : raw('');
  return html`<h3>The config that ran</h3>${differences}
${config ? html`<details class="config"><summary>${config.file}</summary><pre>${config.text}</pre></details>` : ''}`;
}

export function notesList(notes: readonly string[]): RawHtml {
  if (notes.length === 0) return raw('');
  return html`<h3>Notes</h3><ul class="notes">${notes.map((n) => html`<li>${n}</li>`)}</ul>`;
}
