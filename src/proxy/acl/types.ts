/**
 * ACLs as HAProxy 2.6 models them (doc/configuration.txt §7): an ACL is a named list of
 * expressions (several `acl` lines with one name are OR-ed); an expression is a fetch, a
 * match method and patterns; a condition is an OR of AND-ed, possibly negated, ACLs.
 */

import type { StreamCounters } from '../stick-table/types.js';

/** Where a config construct was written, for error messages and reports. */
export interface SourceRef {
  file: string;
  line: number;
  column?: number;
}

/** The request, as the ACLs and the router see it. */
export interface RequestFacts {
  method: string;
  /** The request target exactly as received: `/path?query`, or an absolute URI. */
  uri: string;
  /**
   * Headers in arrival order: either Node's flat `rawHeaders` form
   * (`[name, value, name, value, …]`) or a record (case-insensitive names).
   */
  headers: readonly string[] | Readonly<Record<string, string | readonly string[]>>;
  /** Client IP: IPv4 dotted, IPv6, or IPv4-mapped IPv6 (`::ffff:a.b.c.d`). */
  sourceAddress: string;
  /** `1.1` when absent. */
  httpVersion?: string;
  /**
   * A `mode tcp` connection: HTTP fetches find nothing (HAProxy sees no HTTP message
   * without tcp-request inspection) and http-request rules do not run.
   */
  layer4Only?: boolean;
  /** mode tcp under `tcp-request inspect-delay`: the bytes received so far (req.ssl_* fetches). */
  payload?: Uint8Array;
  /** The client connection is TLS this proxy terminated (`ssl_fc`). */
  tls?: boolean;
  /** This request's stick counters (track-sc rules, sc_* fetches); absent: nothing is tracked. */
  counters?: StreamCounters;
}

/** What a fetch produced: one request can give several values (a header with commas). */
export type Sample =
  | { kind: 'str'; value: string }
  | { kind: 'method'; value: string }
  | { kind: 'ip'; value: IpAddress }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number };

export type IpAddress = { family: 4; value: number } | { family: 6; bytes: Uint8Array };

export type FetchName = 'path' | 'url' | 'method' | 'src' | 'hdr' | 'req.ver' | 'always_true' | 'always_false' | 'sc_http_req_rate' | 'sc_http_req_cnt' | 'ssl_fc' | 'req.ssl_sni' | 'req.ssl_hello_type';

export interface FetchSpec {
  name: FetchName;
  /** hdr(NAME[,OCC]): header name ('' for every header) and occurrence (0: all). */
  headerName?: string;
  occurrence?: number;
  /** sc_*(N) / scN_*: the stick counter read. */
  counter?: number;
}

export type MatchMethod =
  | 'found'
  | 'bool'
  | 'str'
  | 'beg'
  | 'end'
  | 'sub'
  | 'reg'
  | 'dir'
  | 'dom'
  | 'len'
  | 'ip'
  /** Integers and ranges, with eq/ge/gt/le/lt (HAProxy's pat_match_int). */
  | 'int'
  /** `method` ACL keyword: known methods by identity, others as strings (HAProxy's pat_match_meth). */
  | 'method';

export interface AclExpression {
  /** The fetch word as written, e.g. `path_beg` or `req.hdr(User-Agent)`. */
  keyword: string;
  fetch: FetchSpec;
  match: MatchMethod;
  ignoreCase: boolean;
  patterns: readonly string[];
  /** Compiled once at parse time so the data path does no per-request setup. */
  test(samples: readonly Sample[]): boolean;
  where: SourceRef;
}

export interface Acl {
  name: string;
  expressions: AclExpression[];
}

export interface ConditionTerm {
  acl: Acl;
  negated: boolean;
}

export interface Condition {
  polarity: 'if' | 'unless';
  /** OR of suites; each suite is an AND of terms. */
  suites: ConditionTerm[][];
  where: SourceRef;
}

export type RouteDecision =
  | { action: 'deny'; status: number; where: SourceRef }
  /** `http-request redirect`: answered by the proxy with `status` and a Location. */
  | { action: 'redirect'; status: number; location: string }
  | { action: 'backend'; backend: string }
  /** The request asks for the statistics page of this proxy (`stats uri`). */
  | { action: 'stats'; proxy: string }
  /** No use_backend matched and there is no default_backend: HAProxy answers 503. */
  | { action: 'no-backend'; status: 503 };
