/**
 * The report writers: JSON in the documented schema (non-finite numbers as strings), well-formed
 * and escaped JUnit, the rule lines each check covers, and the terminal bar chart and table.
 */
import { describe, expect, it } from 'vitest';
import { primaryBackend } from '../../../src/lab-schema/types.js';
import { barChart } from '../../../src/verify/report/barchart.js';
import { reportToJson } from '../../../src/verify/report/json.js';
import { reportToJunit, xmlEscape } from '../../../src/verify/report/junit.js';
import { renderTerminal } from '../../../src/verify/report/terminal.js';
import type { Report } from '../../../src/verify/report/types.js';
import { verifyLab } from '../../../src/verify/run.js';
import { appOf, fakeLab, spec, swrr, testBalanceOracle } from './fakes.js';

async function sampleReport(both: boolean): Promise<Report> {
  const lab = await spec('ep09');
  const backend = primaryBackend(lab);
  const rotate = () => { let i = 0; const o = swrr(backend, 6); return () => ({ app: appOf(backend, o[i++ % 6]!) }); };
  const broken = () => { let i = 0; return () => ({ app: appOf(backend, ['server1', 'server3'][i++ % 2]!) }); };
  const fake = fakeLab(lab, both ? { haproxy: rotate(), ts: broken() } : { haproxy: rotate() });
  return verifyLab(fake.instance, fake.prober, { seed: 'report', oracles: { balance: testBalanceOracle() } });
}

/** The §3 schema, checked field by field (no schema library: none is a dependency). */
function validate(r: unknown, path = 'report'): string[] {
  const errs: string[] = [];
  const o = r as Record<string, unknown>;
  const need = (k: string, t: string) => { if (typeof o[k] !== t) errs.push(`${path}.${k} should be ${t}`); };
  ['lab', 'episode', 'proxy', 'runtime', 'algorithm', 'verdict', 'seed'].forEach((k) => need(k, 'string'));
  need('requests', 'number');
  if (!['pass', 'fail'].includes(o.verdict as string)) errs.push(`${path}.verdict`);
  if (!['haproxy', 'ts', 'both'].includes(o.proxy as string)) errs.push(`${path}.proxy`);
  if (typeof o.counts !== 'object' || o.counts === null || Object.values(o.counts).some((v) => typeof v !== 'number')) errs.push(`${path}.counts`);
  if (!Array.isArray(o.notes) || o.notes.some((n) => typeof n !== 'string')) errs.push(`${path}.notes`);
  if (!Array.isArray(o.checks)) errs.push(`${path}.checks`);
  else (o.checks as Record<string, unknown>[]).forEach((c, i) => {
    for (const k of ['name', 'expected', 'observed', 'detail']) if (typeof c[k] !== 'string') errs.push(`${path}.checks[${i}].${k}`);
    if (typeof c.pass !== 'boolean') errs.push(`${path}.checks[${i}].pass`);
    for (const k of ['statistic', 'pValue']) if (c[k] !== undefined && typeof c[k] !== 'number' && typeof c[k] !== 'string') errs.push(`${path}.checks[${i}].${k}`);
    if (c.skipped !== undefined && (typeof c.skipped !== 'string' || c.pass !== false)) errs.push(`${path}.checks[${i}].skipped`);
  });
  if (o.proxy === 'both') {
    if (!Array.isArray(o.reports) || o.reports.length !== 2) errs.push(`${path}.reports`);
    else (o.reports as unknown[]).forEach((x, i) => errs.push(...validate(x, `${path}.reports[${i}]`)));
  } else if (o.reports !== undefined) errs.push(`${path}.reports only with proxy both`);
  return errs;
}

/** Well-formedness: one root, tags nest and close, attributes quoted, only the five entities. */
function wellFormed(xml: string): string | undefined {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let roots = 0;
  while ((m = re.exec(body))) {
    if (m[6]) return `stray < at ${m.index}`;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) return `bad entity near ${m[5].slice(0, 30)}`;
      if (stack.length === 0 && m[5].trim()) return 'text outside the root';
      continue;
    }
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[3] ?? '')) return 'bad entity in attribute';
    if (m[1]) { if (stack.pop() !== m[2]) return `mismatched </${m[2]}>`; }
    else if (!m[4]) { if (stack.length === 0) roots++; stack.push(m[2]!); }
    else if (stack.length === 0) roots++;
  }
  if (stack.length) return `unclosed <${stack.pop()}>`;
  return roots === 1 ? undefined : `${roots} roots`;
}

describe('report', () => {
  it('JSON matches the §3 schema, single and both', async () => {
    for (const both of [false, true]) {
      const json = JSON.parse(reportToJson(await sampleReport(both))) as unknown;
      expect(validate(json)).toEqual([]);
    }
  });

  it('JSON writes non-finite numbers as strings', () => {
    const r: Report = { lab: 'l', episode: 'e', proxy: 'haproxy', runtime: 'local', algorithm: 'random', verdict: 'fail', requests: 1, counts: {}, checks: [{ name: 'x', expected: '', observed: '', statistic: Infinity, pValue: 0, pass: false, detail: '' }], notes: [], seed: '1' };
    expect(JSON.parse(reportToJson(r)).checks[0].statistic).toBe('Infinity');
  });

  it('JUnit is well-formed: a suite per proxy, failure and skipped elements', async () => {
    const xml = reportToJunit(await sampleReport(true));
    expect(wellFormed(xml)).toBeUndefined();
    expect(xml.match(/<testsuite /g)!.length).toBe(2);
    expect(xml).toMatch(/<testsuite name="ep09\.ts"[^>]*failures="[1-9]/);
    expect(xml).toContain('<failure ');
    expect(xml).toContain('<skipped message=');
  });

  it('JUnit escapes what it must', () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    const r: Report = { lab: 'l&<', episode: 'e', proxy: 'haproxy', runtime: 'local', algorithm: 'x', verdict: 'fail', requests: 1, counts: {}, checks: [{ name: 'acl.f → 403 <deny> & "x"', expected: '<', observed: '>', pass: false, detail: ']]>' }], notes: [], seed: '1' };
    expect(wellFormed(reportToJunit(r))).toBeUndefined();
  });

  it('the rule lines a check covers are in the JSON, the JUnit and the terminal report', () => {
    const covers = ['acl block_ip src 192.168.1.0/24 (haproxy.cfg line 34)', 'http-request deny if block_ip (haproxy.cfg line 35)'];
    const r: Report = { lab: 'l', episode: 'ep04', proxy: 'haproxy', runtime: 'docker', algorithm: 'x', verdict: 'pass', requests: 1, counts: {}, checks: [
      { name: 'acl.block_front → 403 (deny)', expected: '2 probes get 403 (deny)', observed: '2/2', pass: true, detail: 'ok', covers },
      { name: 'rr.order', expected: 'x', observed: 'x', pass: true, detail: 'ok' },
    ], notes: [], seed: '1' };
    expect(JSON.parse(reportToJson(r)).checks[0].covers).toEqual(covers);
    expect(reportToJunit(r)).toContain(`covers: ${covers.join('; ')}`);
    const lines = renderTerminal(r).split('\n');
    const row = lines.findIndex((l) => l.startsWith('acl.block_front → 403 (deny)'));
    expect(lines.slice(row + 1, row + 3)).toEqual([`  covers: ${covers[0]}`, `          ${covers[1]}`]);
    expect(lines[row + 3]).toMatch(/^rr\.order\s/);
  });

  it('terminal output has the bar chart, expected beside observed, and the table', async () => {
    const text = renderTerminal(await sampleReport(false));
    expect(text).toMatch(/server3 │█+/);
    expect(text).toMatch(/│░+ \d+ expected/);
    expect(text).toMatch(/check\s+expected\s+observed\s+statistic\s+p-value\s+verdict/);
    expect(text).toContain('rr.order');
    expect(text).not.toMatch(/\x1b\[/); // no colour unless asked (TTY)
    expect(renderTerminal(await sampleReport(false), { color: true })).toMatch(/\x1b\[32m/);
  });

  it('a silent server shows an empty bar against its expected one', () => {
    const chart = barChart({ a: 50, b: 0, c: 50 }, { a: 33.3, b: 33.3, c: 33.3 }, { width: 20 });
    expect(chart.split('\n')[2]).toBe('b │ 0');
    expect(chart.split('\n')[3]).toMatch(/^  │░+/);
  });
});
