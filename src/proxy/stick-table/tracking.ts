/**
 * The stick counters of one request (HAProxy's stream stkctr[], src/http_act.c
 * http_action_track_sc and src/stick_table.c smp_fetch_sc_*): a track-scN rule whose
 * counter is still free finds or makes the client's entry, counts this request in its
 * http_req_cnt and http_req_rate at once, and pushes its expiry; a counter already
 * tracking keeps its entry. Each HTTP request is its own stream in HAProxy 2.6, so the
 * counters start free for every request, kept-alive or not.
 */
import { parseIp } from '../acl/ip.js';
import { StickTable as StickTableImpl, type Clock, type StickEntry, type StickTable } from './table.js';
import { TRACK_COUNTERS, type StreamCounters, type TrackAction } from './types.js';

/** Every stick table of a configuration by the name of the section that declares it. */
export class StickTables {
  constructor(
    private readonly tables: ReadonlyMap<string, StickTable>,
    private readonly clock: Clock,
  ) {}

  get(name: string): StickTable | undefined {
    return this.tables.get(name);
  }

  get empty(): boolean {
    return this.tables.size === 0;
  }

  /** The counters of one request: cheap, nothing is looked up until a rule tracks. */
  forRequest(): StreamCounters {
    return new RequestCounters(this, this.clock);
  }
}

class RequestCounters implements StreamCounters {
  private readonly tracked: ({ table: StickTable; entry: StickEntry } | undefined)[] = new Array(TRACK_COUNTERS);

  constructor(
    private readonly tables: StickTables,
    private readonly clock: Clock,
  ) {}

  track(action: TrackAction, sourceAddress: string): void {
    if (this.tracked[action.counter]) return;
    const table = this.tables.get(action.table);
    if (!table) return;
    const key = keyOf(table, sourceAddress);
    if (key === undefined) return;
    const now = this.clock();
    const entry = table.getOrCreate(key, now);
    if (!entry) return;
    this.tracked[action.counter] = { table, entry };
    const store = table.config.store;
    if (store.httpReqCnt || store.httpReqRatePeriod !== undefined) {
      if (store.httpReqCnt) entry.httpReqCnt++;
      if (store.httpReqRatePeriod !== undefined) entry.httpReqRate.update(now, store.httpReqRatePeriod, 1);
      table.touch(entry, now);
    }
  }

  httpReqRate(counter: number): number | undefined {
    const t = this.tracked[counter];
    const period = t?.table.config.store.httpReqRatePeriod;
    if (!t || period === undefined) return undefined;
    return t.entry.httpReqRate.read(this.clock(), period);
  }

  httpReqCnt(counter: number): number | undefined {
    const t = this.tracked[counter];
    if (!t || !t.table.config.store.httpReqCnt) return undefined;
    return t.entry.httpReqCnt;
  }
}

/**
 * The table key of a client address: `type ip` takes IPv4 (an IPv4-mapped IPv6 address
 * converts), `type ipv6` takes both (IPv4 mapped into IPv6); other types do not take `src`.
 */
export function keyOf(table: StickTable, sourceAddress: string): string | undefined {
  const ip = parseIp(sourceAddress);
  if (!ip) return undefined;
  if (table.config.type === 'ip') {
    if (ip.family === 4) return String(ip.value >>> 0);
    const b = ip.bytes;
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    return mapped ? String(((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0) : undefined;
  }
  if (table.config.type === 'ipv6') {
    if (ip.family === 6) return Buffer.from(ip.bytes).toString('hex');
    const v = ip.value >>> 0;
    return `00000000000000000000ffff${v.toString(16).padStart(8, '0')}`;
  }
  return undefined;
}

/** The tables of a configuration; undefined when no rule tracks anything (requests then carry no counters). */
export function stickTablesOf(
  proxies: readonly { name: string; stickTable?: StickTable['config']; httpRequestRules: readonly { track?: TrackAction }[] }[],
  clock: Clock,
): StickTables | undefined {
  if (!proxies.some((p) => p.httpRequestRules.some((r) => r.track))) return undefined;
  const tables = new Map<string, StickTable>();
  for (const p of proxies) if (p.stickTable) tables.set(p.name, new StickTableImpl(p.name, p.stickTable, clock));
  return new StickTables(tables, clock);
}
