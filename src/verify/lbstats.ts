/**
 * Cross-check with the proxy's own counters: HAProxy's stats CSV (`…;csv`) has, per server,
 * `lbtot` — how many times the load balancer chose it. Fetched before and after the run;
 * the difference must equal what the clients saw answered by each server. Health checks do
 * not count in lbtot, so any difference means traffic the clients did not send, or picks
 * whose answers were lost.
 */
import type { Check } from './report/types.js';
import { skippedCheck } from './report/types.js';
import { statsRows } from './stats-page-csv.js';
import { UNANSWERED } from './models/types.js';

/** "backend/server" → lbtot. */
export type LbTotals = Map<string, number>;

export function parseStatsCsv(text: string): LbTotals {
  const out: LbTotals = new Map();
  for (const [key, row] of statsRows(text)) {
    const n = row.lbtot === undefined || row.lbtot === '' ? NaN : Number(row.lbtot);
    if (Number.isFinite(n)) out.set(key, n);
  }
  return out;
}

export type FetchText = (url: string) => Promise<string>;

// got is loaded on first use (~300 ms): a command that reads no stats page does not pay for it.
const defaultFetch: FetchText = async (url) => (await import('got')).default(url, { timeout: { request: 5000 }, retry: { limit: 1 } }).text();

/** The stats URL with HAProxy's `;csv` suffix (added when missing). */
export function csvUrl(url: string): string {
  return /;csv\b/.test(url) ? url : `${url.replace(/\/$/, '')};csv`;
}

/** One read of the stats CSV: lbtot per server, and the text for other readers. */
export interface StatsReading {
  totals: LbTotals;
  csv: string;
}

export async function fetchStatsReading(url: string, fetchText: FetchText = defaultFetch): Promise<StatsReading> {
  return statsReading(await fetchText(csvUrl(url)));
}

/** The CSV as read (the stats page, or the runtime API's `show stat`, which is the same text). */
export function statsReading(csv: string): StatsReading {
  const totals = parseStatsCsv(csv);
  if (totals.size === 0) throw new Error('no server rows with lbtot in the stats CSV');
  return { totals, csv };
}

/**
 * lbtot(after) − lbtot(before) against the clients' own tally, per server that either side
 * saw. A request that got no answer at all ("backend/(no answer)" in the tally: a timeout
 * after the pick) may have been picked for any server of its backend: that many picks more
 * than the clients saw are allowed there, in total over the backend's servers, never fewer.
 */
export function judgeLbTotals(before: LbTotals, after: LbTotals, clients: Record<string, number>): Check {
  const unanswered = new Map(Object.entries(clients).filter(([k]) => k.endsWith(`/${UNANSWERED}`)).map(([k, v]) => [k.slice(0, -UNANSWERED.length - 1), v]));
  const keys = new Set([...Object.keys(clients).filter((k) => !k.endsWith(`/${UNANSWERED}`)), ...[...after.keys()].filter((k) => (after.get(k) ?? 0) - (before.get(k) ?? 0) > 0)]);
  const diffs: string[] = [];
  const rows: string[] = [];
  const excess = new Map<string, { picks: number; where: string[] }>();
  for (const k of [...keys].sort()) {
    const delta = (after.get(k) ?? 0) - (before.get(k) ?? 0);
    const seen = clients[k] ?? 0;
    rows.push(`${k} ${delta}`);
    const backend = k.slice(0, k.lastIndexOf('/'));
    if (!after.has(k)) diffs.push(`${k}: not in the stats CSV (clients saw ${seen})`);
    else if (delta > seen && unanswered.has(backend)) {
      const e = excess.get(backend) ?? { picks: 0, where: [] };
      e.picks += delta - seen;
      e.where.push(`${k}: lbtot +${delta}, clients saw ${seen}`);
      excess.set(backend, e);
    } else if (delta !== seen) diffs.push(`${k}: lbtot +${delta}, clients saw ${seen}`);
  }
  const allowed: string[] = [];
  for (const [backend, e] of excess) {
    const slack = unanswered.get(backend) ?? 0;
    if (e.picks <= slack) allowed.push(`${e.picks} more picks in ${backend} than answers seen, within its ${slack} requests that got no answer`);
    else diffs.push(...e.where.map((w) => `${w} (${slack} requests of ${backend} got no answer)`));
  }
  return {
    name: 'stats.lbtot',
    expected: 'lbtot grows per server by exactly what the clients saw answered',
    observed: rows.join(', ') || 'no traffic',
    pass: diffs.length === 0 && keys.size > 0,
    detail: diffs.length ? diffs.slice(0, 4).join('; ') : ["the proxy's own counters agree with the clients", ...allowed].join('; '),
  };
}

export function lbTotalsSkipped(reason: string): Check {
  return skippedCheck('stats.lbtot', "the proxy's lbtot counters agree with the clients", reason);
}
