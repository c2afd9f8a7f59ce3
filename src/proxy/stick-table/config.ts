/**
 * The `stick-table` line and the `track-scN` action, read as HAProxy 2.6 reads them
 * (src/stick_table.c parse_stick_table, src/http_act.c parse_http_track_sc): one table per
 * section, `type` and a positive `size` required, `expire` a time, `store` a comma list
 * that may repeat. haplab counts http_req_cnt and http_req_rate(P); any other HAProxy data
 * type is refused by name rather than stored and never counted.
 */
import { BadInputError } from '../../errors.js';
import type { SourceRef } from '../acl/types.js';
import type { Word } from '../config/tokenize.js';
import { parseTime } from '../config/values.js';
import { TRACK_COUNTERS, type StickTableConfig, type TrackAction } from './types.js';

const TYPES = ['ip', 'ipv6', 'integer', 'string'] as const;

/** HAProxy's other data types: real, but haplab's proxy does not count them. */
const UNCOUNTED = new Set([
  'server_id', 'server_key', 'server_name', 'gpt0', 'gpt', 'gpc0', 'gpc0_rate', 'gpc1', 'gpc1_rate', 'gpc', 'gpc_rate',
  'conn_cnt', 'conn_cur', 'conn_rate', 'sess_cnt', 'sess_rate', 'http_err_cnt', 'http_err_rate',
  'http_fail_cnt', 'http_fail_rate', 'bytes_in_cnt', 'bytes_in_rate', 'bytes_out_cnt', 'bytes_out_rate',
]);

/** `size` with HAProxy's k/m/g suffixes (powers of 1024). */
function parseSize(word: Word | undefined, at: (w?: Word) => SourceRef): number {
  const m = word ? /^(\d+)([kmgKMG]?)$/.exec(word.text) : null;
  if (!word || !m) throw new BadInputError(`stick-table: invalid size '${word?.text ?? ''}'`, at(word), 'write e.g. size 100k (k, m, g are powers of 1024)');
  const factor = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * factor;
}

/** The words after `stick-table`. `at(word)` places an error. */
export function parseStickTable(args: readonly Word[], at: (w?: Word) => SourceRef): StickTableConfig {
  let type: StickTableConfig['type'] | undefined;
  let size = 0;
  let expireMs: number | undefined;
  const store: StickTableConfig['store'] = { httpReqCnt: false };
  for (let k = 0; k < args.length; k++) {
    const w = args[k]!;
    const value = args[k + 1];
    switch (w.text) {
      case 'type': {
        if (!value || !(TYPES as readonly string[]).includes(value.text)) {
          throw new BadInputError(`stick-table: unknown type '${value?.text ?? ''}'`, at(value ?? w), `haplab's proxy keys tables by ${TYPES.join(', ')}`);
        }
        type = value.text as StickTableConfig['type'];
        k++;
        if (args[k + 1]?.text === 'len') k += 2;
        break;
      }
      case 'size':
        size = parseSize(value, at);
        k++;
        break;
      case 'expire':
        expireMs = parseTime(value, 'stick-table expire', at(w));
        k++;
        break;
      case 'nopurge':
        break;
      case 'peers':
      case 'srvkey':
      case 'write-to':
        throw new BadInputError(`stick-table: '${w.text}' is not supported by haplab`, at(w), 'haplab keeps tables in one process; remove it');
      case 'store': {
        if (!value) throw new BadInputError("stick-table: 'store' expects data types", at(w), 'write store http_req_rate(10s)');
        for (const item of value.text.split(',')) parseStore(item, store, at(value));
        k++;
        break;
      }
      default:
        throw new BadInputError(`stick-table: unknown argument '${w.text}'`, at(w), 'use type, size, expire, nopurge, store');
    }
  }
  if (!type) throw new BadInputError('stick-table: missing type', at(args[0]), 'write stick-table type ip size 100k …');
  if (size <= 0) throw new BadInputError('stick-table: missing size', at(args[0]), 'write size 100k');
  return { type, size, expireMs, store };
}

function parseStore(item: string, store: StickTableConfig['store'], at: SourceRef): void {
  const m = /^([a-z0-9_]+)(?:\(([^)]*)\))?$/.exec(item);
  const name = m?.[1] ?? item;
  if (name === 'http_req_cnt' && m?.[2] === undefined) {
    store.httpReqCnt = true;
    return;
  }
  if (name === 'http_req_rate') {
    if (m?.[2] === undefined || m[2] === '') throw new BadInputError("stick-table: data type 'http_req_rate' expects a period", at, 'write http_req_rate(10s)');
    store.httpReqRatePeriod = parseTime({ text: m[2], column: at.column ?? 0, end: 0 }, 'http_req_rate', at);
    if (store.httpReqRatePeriod <= 0) throw new BadInputError('stick-table: http_req_rate needs a period above 0', at);
    return;
  }
  if (UNCOUNTED.has(name)) throw new BadInputError(`stick-table: data type '${name}' is not counted by haplab`, at, 'haplab stores http_req_cnt and http_req_rate(PERIOD)');
  throw new BadInputError(`stick-table: unknown data type '${item}'`, at, 'e.g. store http_req_rate(10s),http_req_cnt');
}

/**
 * `track-scN KEY [table NAME]`, `keyword` being `track-scN`; `section` names the table a
 * rule without `table` uses. haplab tracks by `src`.
 */
export function parseTrackAction(keyword: Word, args: readonly Word[], section: string, at: (w?: Word) => SourceRef): { action: TrackAction; used: number } {
  const n = /^track-sc(\d+)$/.exec(keyword.text);
  const counter = n ? Number(n[1]) : NaN;
  if (!(counter >= 0 && counter < TRACK_COUNTERS)) {
    throw new BadInputError(`'${keyword.text}': invalid stick counter (0 to ${TRACK_COUNTERS - 1})`, at(keyword), 'write track-sc0, track-sc1 or track-sc2');
  }
  const key = args[0];
  if (!key) throw new BadInputError(`'${keyword.text}' expects a sample expression`, at(keyword), `write ${keyword.text} src`);
  if (key.text !== 'src') throw new BadInputError(`'${keyword.text} ${key.text}': haplab tracks only by src`, at(key), `write ${keyword.text} src`);
  let used = 1;
  let table = section;
  if (args[1]?.text === 'table') {
    const name = args[2];
    if (!name) throw new BadInputError('missing table name', at(args[1]), `write ${keyword.text} src table NAME`);
    table = name.text;
    used = 3;
  }
  return { action: { counter, key: 'src', table }, used };
}
