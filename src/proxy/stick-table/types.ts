/**
 * Stick tables as haplab's proxy keeps them: what a `stick-table` line declares, what a
 * `track-scN` rule asks, and the small interface the request path uses. Kept apart from the
 * rest of the proxy so that a table's store (this folder) can grow without touching the
 * data path beyond its call sites.
 */

/** Data a table stores per entry (HAProxy's `store` list); haplab keeps these. */
export interface StoredData {
  /** `http_req_cnt`: requests counted by track-sc rules. */
  httpReqCnt: boolean;
  /** `http_req_rate(P)`: P in ms, the counter's period. */
  httpReqRatePeriod?: number;
}

export interface StickTableConfig {
  /** `type ip` (IPv4), `ipv6`, `integer`, `string`. */
  type: 'ip' | 'ipv6' | 'integer' | 'string';
  /** Entries at most (`size`, with k/m/g multipliers of 1024). */
  size: number;
  /** ms an entry lives after it was last tracked; undefined: no expiry. */
  expireMs?: number;
  store: StoredData;
  /** The line, for reports (the config's drift from lab.yaml). */
  where?: { file: string; line: number; column?: number };
}

/** `http-request track-scN KEY [table NAME]`. */
export interface TrackAction {
  /** N of track-scN: 0, 1 or 2. */
  counter: number;
  /** The key's fetch; haplab tracks by `src`. */
  key: 'src';
  /** `table NAME`, else the table of the section holding the rule. */
  table: string;
}

/** What the per-request decision needs: track a key, then read what is tracked. */
export interface StreamCounters {
  /** Runs a track-scN action for this request's client (once per counter per request). */
  track(action: TrackAction, sourceAddress: string): void;
  /** `sc_http_req_rate(N)`: undefined when counter N tracks nothing or the table stores no rate. */
  httpReqRate(counter: number): number | undefined;
  /** `sc_http_req_cnt(N)`. */
  httpReqCnt(counter: number): number | undefined;
}

/** The proxy's counters slots (HAProxy's MAX_SESS_STKCTR default). */
export const TRACK_COUNTERS = 3;
