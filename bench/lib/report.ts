/**
 * Renders results as markdown tables padded to line up, so the same text reads well on
 * a terminal, in bench/results/*.md and in the README section.
 */
import type { BenchResults, PointSummary, TargetResult } from './results.js';

export function mdTable(headers: string[], rows: string[][], right: boolean[] = headers.map((_, i) => i > 0)): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number) => (right[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const line = (cells: string[]) => `| ${cells.map((c, i) => cell(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (!Number.isFinite(n) ? '—' : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
const times = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}×`);

function errors(p: PointSummary): string {
  const parts = [];
  if (p.socketErrors) parts.push(`${p.socketErrors} socket`);
  if (p.statusErrors) parts.push(`${p.statusErrors} non-2xx`);
  if (p.failures.length) parts.push(`${p.failures.length} failed: ${p.failures[0]!.slice(0, 60)}`);
  return parts.join(', ');
}

/** Half the min–max range of the rounds' req/s, relative to the median: how noisy a point was. */
function spread(p: PointSummary | undefined): string {
  if (!p || p.perRound.length < 2) return '';
  const v = p.perRound.map((x) => x.rps);
  return `±${(((Math.max(...v) - Math.min(...v)) / 2 / p.rps) * 100).toFixed(0)} %`;
}

function pointCells(t: TargetResult, key: string, bytes = false): string[] {
  if (!t.available) return ['n/a', '', '', t.note ?? 'not available', ''];
  const p = t.points[key];
  if (!p || p.rounds === 0) return ['no sample', '', '', p ? errors(p) : '', ''];
  return [bytes ? p.mbps.toFixed(0) : int(p.rps), ms(p.p50Ms), ms(p.p99Ms), errors(p), cpu(p.cpuUsPerRequest)];
}

const cpu = (us: number | undefined) => (us === undefined || !Number.isFinite(us) ? '' : us >= 100 ? us.toFixed(0) : us.toFixed(1));

function httpTable(r: BenchResults): string {
  if (r.http.length === 0) return '_skipped_';
  const rows: string[][] = [];
  for (const c of r.options.connections) {
    const haproxy = r.http.find((t) => t.id === 'haproxy' && t.available)?.points[`c${c}`];
    for (const t of r.http) {
      const cells = pointCells(t, `c${c}`);
      const p = t.points[`c${c}`];
      const vs = t.available && p && haproxy && t.id !== 'haproxy' && haproxy.rounds && p.rounds ? `${((p.rps / haproxy.rps) * 100).toFixed(0)} %` : '';
      rows.push([String(c), t.label, cells[0]!, t.available ? spread(p) : '', cells[1]!, cells[2]!, vs, cells[4]!, cells[3]!]);
    }
  }
  return mdTable(
    ['conns', 'proxy', 'req/s', 'spread', 'p50 ms', 'p99 ms', 'req/s vs HAProxy', 'CPU µs/req', 'errors / note'],
    rows,
    [true, false, true, true, true, true, true, true, false],
  );
}

function ratioTable(r: BenchResults): string {
  if (r.http.length === 0) return '_skipped_';
  const rows = r.options.connections.map((c) => {
    const get = (peer: string) => r.ratios.find((x) => x.connections === c && x.peer === peer);
    return [String(c), ...(['haproxy', 'http-proxy', 'plain'] as const).flatMap((p) => [times(get(p)?.rps), times(get(p)?.p99)]), times(get('haproxy')?.cpu), times(get('plain')?.cpu)];
  });
  return mdTable(
    ['conns', 'haplab/HAProxy req/s', 'haplab/HAProxy p99', 'haplab/http-proxy req/s', 'haplab/http-proxy p99', 'haplab/plain req/s', 'haplab/plain p99', 'haplab/HAProxy CPU per req', 'haplab/plain CPU per req'],
    rows,
  );
}

function rssTable(r: BenchResults): string {
  const rows = [...r.http, ...r.tcp]
    .filter((t) => t.id !== 'direct')
    .map((t) => [
      t.label,
      t.mode,
      t.peakRssMiB !== undefined ? t.peakRssMiB.toFixed(1) : '—',
      t.serverConnections !== undefined ? int(t.serverConnections) : '—',
      t.serverRequests !== undefined ? int(t.serverRequests) : '—',
      t.available ? (t.sanity ?? '') : (t.note ?? 'not available'),
    ]);
  return mdTable(
    ['proxy', 'mode', 'peak RSS MiB (VmHWM)', 'server conns opened', 'server requests', 'round-robin sanity / note'],
    rows,
    [false, false, true, true, true, false],
  );
}

function tcpTable(r: BenchResults): string {
  if (r.tcp.length === 0) return '_skipped_';
  const rows: string[][] = [];
  const keys = [...r.options.tcpConnections.map((c) => `c${c}`), `bulk-c10`];
  for (const key of keys) {
    for (const t of r.tcp) {
      const bulk = key.startsWith('bulk');
      const cells = pointCells(t, key, bulk);
      const test = bulk ? '1 MiB responses, 10 conns' : `small responses, ${key.slice(1)} conns`;
      rows.push([test, t.label, bulk ? '' : cells[0]!, bulk ? cells[0]! : t.available ? (t.points[key]?.mbps.toFixed(1) ?? '') : '', cells[1]!, cells[2]!, cells[4]!, cells[3]!]);
    }
  }
  return mdTable(['test', 'proxy', 'req/s', 'MB/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors / note'], rows, [false, false, true, true, true, true, true, false]);
}

function microTable(r: BenchResults): string {
  const m = r.micro;
  if (!m) return '_skipped_';
  if ('unavailable' in m) return `_not available: ${m.unavailable}_`;
  // Median, with the fastest run in brackets: a wide gap means the machine was busy.
  const rows = Object.entries(m.ns).map(([label, bySize]) => [
    label,
    ...m.sizes.map((s) => `${(bySize[String(s)] ?? NaN).toFixed(0)} (${(m.minNs[label]?.[String(s)] ?? NaN).toFixed(0)})`),
  ]);
  return mdTable(['algorithm', ...m.sizes.map((s) => `${s.toLocaleString('en-US')} servers`)], rows, [false, ...m.sizes.map(() => true)]);
}

function checkTable(r: BenchResults): string {
  if (!r.checks) return '_skipped_';
  return mdTable(
    ['runtime', 'haplab check ep09', 'note'],
    r.checks.map((c) => [c.runtime, c.seconds !== undefined ? `${c.seconds.toFixed(1)} s` : 'n/a', c.note ?? 'passed']),
    [false, true, false],
  );
}

function targetList(r: BenchResults): string {
  const mark = { met: '✅ met', 'not met': '❌ not met', 'n/a': '— n/a' } as const;
  return mdTable(['target', 'status', 'measured'], r.targets.map((t) => [t.goal, mark[t.status], t.detail]), [false, false, true]);
}

export function machineLine(r: BenchResults): string {
  const m = r.machine;
  const load = `load avg ${m.loadBefore.toFixed(2)} before, ${m.loadAfter?.toFixed(2) ?? '?'} after`;
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB · ${m.kernel} · Node ${m.node} · ${m.haproxy} · ${m.wrk} · ${m.date.slice(0, 16).replace('T', ' ')} UTC · ${load}`;
}

/** The whole report; `heading` sets the level of the top title (## for the README). */
export function renderMarkdown(r: BenchResults, heading = '#'): string {
  const h2 = heading + '#';
  const o = r.options;
  const method = `${o.quick ? 'quick smoke run' : 'full run'}: ${o.rounds} round(s), interleaved, median per point; HTTP points ${o.seconds} s, TCP points ${o.tcpSeconds} s, ${o.warmupSeconds} s warm-up per proxy; whole run ${r.durationS.toFixed(0)} s`;
  return [
    `${heading} haplab bench`,
    '',
    `**Machine:** ${machineLine(r)}`,
    '',
    `**Method:** ${method}.`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
    `${h2} HTTP: requests/s and latency (mode http, roundrobin over ${o.backends} backends)`,
    '',
    httpTable(r),
    '',
    `${h2} haplab's ratios (>1 req/s is faster; <1 p99 and CPU per request are better)`,
    '',
    ratioTable(r),
    '',
    `${h2} Targets`,
    '',
    targetList(r),
    '',
    `${h2} TCP mode (mode tcp, roundrobin per connection)`,
    '',
    tcpTable(r),
    '',
    `${h2} Per proxy process: peak memory and server connection reuse`,
    '',
    rssTable(r),
    '',
    `${h2} Server selection (ns per pick: pick + taken + released, median (fastest) of ${r.options.microRuns} runs of ${r.options.microPicks.toLocaleString('en-US')} picks)`,
    '',
    microTable(r),
    '',
    `${h2} \`haplab check ep09\` wall time`,
    '',
    checkTable(r),
    '',
  ].join('\n');
}
