/**
 * The statistics page at `stats uri`: HAProxy-compatible CSV at `<uri>;csv` (same
 * header line, same column order, the columns haplab has filled and the rest empty)
 * and a plain HTML table otherwise.
 */
import type { ProxySection } from './config/model.js';
import type { Counters, RuntimeBackend, RuntimeServer } from './runtime.js';

/** HAProxy 2.6's stat fields, in order (src/stats.c stat_fields[]). */
export const STAT_COLUMNS = [
  'pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'slim', 'stot', 'bin', 'bout', 'dreq', 'dresp',
  'ereq', 'econ', 'eresp', 'wretr', 'wredis', 'status', 'weight', 'act', 'bck', 'chkfail', 'chkdown',
  'lastchg', 'downtime', 'qlimit', 'pid', 'iid', 'sid', 'throttle', 'lbtot', 'tracked', 'type', 'rate',
  'rate_lim', 'rate_max', 'check_status', 'check_code', 'check_duration', 'hrsp_1xx', 'hrsp_2xx',
  'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'hanafail', 'req_rate', 'req_rate_max', 'req_tot',
  'cli_abrt', 'srv_abrt', 'comp_in', 'comp_out', 'comp_byp', 'comp_rsp', 'lastsess', 'last_chk',
  'last_agt', 'qtime', 'ctime', 'rtime', 'ttime', 'agent_status', 'agent_code', 'agent_duration',
  'check_desc', 'agent_desc', 'check_rise', 'check_fall', 'check_health', 'agent_rise', 'agent_fall',
  'agent_health', 'addr', 'cookie', 'mode', 'algo', 'conn_rate', 'conn_rate_max', 'conn_tot',
  'intercepted', 'dcon', 'dses', 'wrew', 'connect', 'reuse', 'cache_lookups', 'cache_hits', 'srv_icur',
  'src_ilim', 'qtime_max', 'ctime_max', 'rtime_max', 'ttime_max', 'eint', 'idle_conn_cur',
  'safe_conn_cur', 'used_conn_cur', 'need_conn_est', 'uweight', 'agg_server_status',
  'agg_server_check_status', 'agg_check_status',
] as const;

type Column = (typeof STAT_COLUMNS)[number];
type Row = Partial<Record<Column, string | number>>;

export interface StatsSource {
  proxies: readonly ProxySection[];
  /** Proxy id (iid): 1-based position among proxies, as HAProxy numbers them. */
  frontendCounters(name: string): Counters | undefined;
  backend(name: string): RuntimeBackend | undefined;
}

function counterColumns(c: Counters): Row {
  return {
    scur: c.current, smax: c.max, stot: c.total, bin: c.bytesIn, bout: c.bytesOut,
    hrsp_1xx: c.responses[0], hrsp_2xx: c.responses[1], hrsp_3xx: c.responses[2],
    hrsp_4xx: c.responses[3], hrsp_5xx: c.responses[4], hrsp_other: c.responses[5],
  };
}

function serverStatus(s: RuntimeServer): string {
  // stats.c: resolution maintenance is named before any other (a disabled server included).
  if (s.resolutionMaint) return 'MAINT (resolution)';
  if (s.config.disabled) return 'MAINT';
  const h = s.health;
  if (!h.enabled) return s.up ? 'no check' : 'DOWN';
  if (s.up) return h.health < h.rise + h.fall - 1 ? `UP ${h.health - h.rise + 1}/${h.fall}` : 'UP';
  return h.health > 0 ? `DOWN ${h.health}/${h.rise}` : 'DOWN';
}

export function statsRows(source: StatsSource): Row[] {
  const rows: Row[] = [];
  const pid = process.pid;
  source.proxies.forEach((proxy, index) => {
    const iid = index + 1;
    const mode = proxy.mode;
    const fe = proxy.capabilities.frontend ? source.frontendCounters(proxy.name) : undefined;
    if (fe) {
      rows.push({
        ...counterColumns(fe), pxname: proxy.name, svname: 'FRONTEND', slim: proxy.maxconn ?? '',
        dreq: fe.deniedRequests, ereq: fe.requestErrors, status: 'OPEN', pid, iid, sid: 0, type: 0,
        req_tot: mode === 'http' ? fe.requests : '', mode, conn_tot: fe.total,
      });
    }
    const be = proxy.capabilities.backend ? source.backend(proxy.name) : undefined;
    if (!be) return;
    let act = 0;
    let bck = 0;
    let weight = 0;
    for (const s of be.servers) {
      const status = serverStatus(s);
      if (s.up) {
        if (s.backup) bck++;
        else act++;
        weight += s.weight;
      }
      rows.push({
        ...counterColumns(s.counters), pxname: proxy.name, svname: s.name, qcur: 0, qmax: 0,
        slim: s.config.maxconn ?? '', econ: s.counters.connectionErrors, eresp: s.counters.responseErrors,
        wretr: s.counters.retries, wredis: s.counters.redispatches, status, weight: s.weight,
        act: s.backup ? 0 : 1, bck: s.backup ? 1 : 0,
        chkfail: s.health.enabled ? s.health.failedChecks : '', chkdown: s.health.enabled ? s.health.downTransitions : '',
        lastchg: Math.floor(Date.now() / 1000) - s.lastChange, pid, iid, sid: s.id, lbtot: s.counters.chosen, type: 2,
        check_status: s.health.enabled ? (s.health.lastStatus ?? '') : '',
        check_duration: s.health.enabled ? (s.health.lastDurationMs ?? '') : '',
        check_rise: s.health.enabled ? s.health.rise : '', check_fall: s.health.enabled ? s.health.fall : '',
        check_health: s.health.enabled ? s.health.health : '',
        addr: s.resolutionMaint ? '' : s.config.port ? `${s.address}:${s.config.port}` : s.address, mode, uweight: s.config.weight,
      });
    }
    const c = be.counters;
    rows.push({
      ...counterColumns(c), pxname: proxy.name, svname: 'BACKEND', qcur: 0, qmax: 0, econ: c.connectionErrors,
      eresp: c.responseErrors, wretr: c.retries, wredis: c.redispatches, status: act + bck > 0 ? 'UP' : 'DOWN',
      weight, act, bck, pid, iid, sid: 0, lbtot: c.chosen, type: 1, mode, algo: proxy.balance.algorithm,
      req_tot: mode === 'http' ? c.requests : '',
    });
  });
  return rows;
}

export function statsCsv(source: StatsSource): string {
  let out = `# ${STAT_COLUMNS.join(',')},\n`;
  for (const row of statsRows(source)) {
    for (const column of STAT_COLUMNS) out += `${row[column] ?? ''},`;
    out += '\n';
  }
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function statsHtml(source: StatsSource, csvHref: string): string {
  const shown: Column[] = ['pxname', 'svname', 'status', 'weight', 'scur', 'smax', 'stot', 'lbtot', 'hrsp_2xx', 'hrsp_5xx'];
  const head = shown.map((c) => `<th>${c}</th>`).join('');
  const body = statsRows(source)
    .map((r) => `<tr>${shown.map((c) => `<td>${escapeHtml(String(r[c] ?? ''))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<!DOCTYPE html>\n<html><head><title>Statistics Report for haplab</title></head><body>\n<h1>haplab proxy statistics</h1>\n<p><a href="${escapeHtml(csvHref)}">CSV export</a></p>\n<table border="1">\n<tr>${head}</tr>\n${body}\n</table>\n</body></html>\n`;
}

/** A stats answer: HAProxy's headers, and the page (CSV at `<uri>;csv`, HTML otherwise). */
export interface StatsAnswer {
  headers: string[];
  body: Buffer;
}

/** Answers a stats request; `uri` is the request target, `prefix` the configured stats uri. */
export function statsAnswer(source: StatsSource, uri: string, prefix: string): StatsAnswer {
  const csv = uri.indexOf(';csv', uri.indexOf(prefix) + prefix.length) >= 0;
  const body = Buffer.from(csv ? statsCsv(source) : statsHtml(source, `${prefix};csv`), 'latin1');
  return {
    headers: ['cache-control', 'no-cache', 'content-type', csv ? 'text/plain' : 'text/html', 'content-length', String(body.length)],
    body,
  };
}
