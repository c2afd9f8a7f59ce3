/**
 * `balance source | uri | url_param | hdr(name)`: backend.c's hash dispatch. The
 * request's key is hashed (request-keys.ts), then looked up in the static map (`hash-type
 * map-based`, the default) or on the consistent ring (`hash-type consistent`). A
 * missing key falls back to round-robin over the same structure, as HAProxy does.
 *
 * The pick is written for speed: the algorithm is a small integer, the map and the ring
 * are two typed fields (each call site sees one class), and the hash travels in
 * KeyHasher's slot rather than as a boxed number.
 */
import { ConsistentRing } from './chash.js';
import { KeyHasher, type UriOptions } from './request-keys.js';
import { ServerMap } from './map.js';
import type { Pool } from './pool.js';
import type { Balancer, BalanceSettings, LbServer, PickContext } from './types.js';

const NONE = -1;
const DEFAULT_URI: UriOptions = { whole: false, len: 0, depth: 0, pathOnly: false };

const SOURCE = 0;
const URI = 1;
const URL_PARAM = 2;
const HDR = 3;

export class HashBalancer implements Balancer {
  private readonly pool: Pool;
  /** Exactly one is set, by `hash-type`. */
  private readonly map: ServerMap | undefined;
  private readonly ring: ConsistentRing | undefined;
  private readonly keys: KeyHasher;
  private readonly kind: number;
  /** hdr(NAME) / url_param NAME; '' when absent (the key is then always missing). */
  private readonly arg: string;
  private readonly uriOptions: UriOptions;
  private readonly domainOnly: boolean;

  constructor(settings: BalanceSettings, servers: readonly LbServer[]) {
    this.keys = new KeyHasher(settings);
    this.kind = kindOf(settings.algorithm);
    this.arg = settings.arg ?? '';
    this.uriOptions = settings.uri ?? DEFAULT_URI;
    this.domainOnly = settings.useDomainOnly === true;
    if (settings.hashType.method === 'consistent') {
      this.ring = new ConsistentRing(servers);
      this.map = undefined;
      this.pool = this.ring.pool;
    } else {
      this.map = new ServerMap(servers);
      this.ring = undefined;
      this.pool = this.map.pool;
    }
  }

  pick(ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    const pool = this.pool;
    if (pool.totWeight === 0) return undefined;
    const av = pool.indexOf(avoid);
    let i: number;
    if (this.readKey(ctx, pool.totUsed === 1)) {
      const h = this.keys.hashed[0]!;
      // map_get_server_hash takes no server to avoid.
      i = this.map !== undefined ? this.map.byHash(h) : this.ring!.byHash(h, av);
    } else {
      i = this.map !== undefined ? this.map.roundRobin(av) : this.ring!.next(av);
    }
    return i === NONE ? undefined : pool.servers[i];
  }

  update(server: LbServer): void {
    if (this.map !== undefined) this.map.update(server);
    else this.ring!.update(server);
  }

  /**
   * Whether the request has a key (its hash then in keys.hashed). With a single server
   * left HAProxy skips hashing (the key is 0) for source, uri and hdr — even a missing
   * header then goes to that server — but not url_param.
   */
  private readKey(ctx: PickContext, single: boolean): boolean {
    const keys = this.keys;
    switch (this.kind) {
      case SOURCE:
        return single ? keys.zero() : keys.readSource(ctx.sourceAddress);
      case URI:
        if (ctx.uri === undefined) return false;
        return single ? keys.zero() : keys.readUri(ctx.uri, this.uriOptions);
      case URL_PARAM:
        return ctx.uri !== undefined && this.arg !== '' && keys.readUrlParam(ctx.uri, this.arg);
      default: {
        if (ctx.header === undefined || this.arg === '') return false;
        if (single) return keys.zero();
        const raw = ctx.header(this.arg);
        return raw !== undefined && keys.readHeader(raw, this.domainOnly);
      }
    }
  }
}

function kindOf(algorithm: BalanceSettings['algorithm']): number {
  switch (algorithm) {
    case 'source':
      return SOURCE;
    case 'uri':
      return URI;
    case 'url_param':
      return URL_PARAM;
    case 'hdr':
      return HDR;
    default:
      throw new Error(`not a hash algorithm: ${algorithm}`);
  }
}
