/**
 * The one small interface every algorithm sits behind, as HAProxy's lb_*.c sit behind
 * backend.c: the data path asks for a server, and tells the algorithm when a server's
 * state or load changes. One file per algorithm in this folder.
 */

/** A server as the algorithms see it. The data path owns the object and mutates it. */
export interface LbServer {
  /** HAProxy's puid: 1-based position in the backend, unless `id` was set in the config. */
  readonly id: number;
  readonly name: string;
  /** The configured (user) weight, 0..256. */
  weight: number;
  readonly backup: boolean;
  /** Usable: not disabled, and health checks (if any) say it is up. */
  up: boolean;
  /** Connections (TCP) or requests (HTTP) currently being served. */
  activeConns: number;
}

/** What a hash-based algorithm may need from the request. */
export interface PickContext {
  /** Client IP as a string (IPv4 dotted or IPv6). */
  sourceAddress: string;
  /** The request URI as received (path and query), HTTP only. */
  uri?: string;
  /** A request header's value (first occurrence), HTTP only. */
  header?(name: string): string | undefined;
}

export interface Balancer {
  /**
   * Picks a server, or undefined when none is usable (the data path answers 503).
   * `avoid` is the server that just failed, on a redispatch.
   */
  pick(ctx: PickContext, avoid?: LbServer): LbServer | undefined;
  /** A server went up or down, or its weight changed. */
  update(server: LbServer): void;
  /** A connection/request was assigned to `server` (leastconn, first, random(N) use it). */
  taken?(server: LbServer): void;
  /** A connection/request on `server` ended. */
  released?(server: LbServer): void;
}

/** How a backend balances, as parsed from `balance`, `hash-type` and `random draw`. */
export interface BalanceSettings {
  algorithm:
    | 'roundrobin'
    | 'static-rr'
    | 'leastconn'
    | 'first'
    | 'random'
    | 'source'
    | 'uri'
    | 'hdr'
    | 'url_param';
  /** hdr(NAME): the header name · url_param NAME: the parameter name. */
  arg?: string;
  /** `balance uri [whole] [len N] [depth N] [path-only]`. */
  uri?: { whole: boolean; len: number; depth: number; pathOnly: boolean };
  /** `balance hdr(name) [use_domain_only]`. */
  useDomainOnly?: boolean;
  /** `hash-type <method> [<function>] [<modifier>]`; HAProxy's default: map-based sdbm. */
  hashType: {
    method: 'map-based' | 'consistent';
    fn: 'sdbm' | 'djb2' | 'wt6' | 'crc32';
    avalanche: boolean;
  };
  /** random(N) or `random draw N`; 2 when absent, as HAProxy. */
  draws: number;
}
