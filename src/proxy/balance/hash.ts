/**
 * `balance source | uri | url_param | hdr(name)`: backend.c's hash dispatch. The
 * request's key is hashed (request-keys.ts), then looked up in the static map (`hash-type
 * map-based`, the default) or on the consistent ring (`hash-type consistent`). A
 * missing key falls back to round-robin over the same structure, as HAProxy does.
 */
import { ConsistentRing } from './chash.js';
import { KeyHasher, MISSING } from './request-keys.js';
import { ServerMap } from './map.js';
import type { Pool } from './pool.js';
import type { Balancer, BalanceSettings, LbServer, PickContext } from './types.js';

const NONE = -1;
const DEFAULT_URI = { whole: false, len: 0, depth: 0, pathOnly: false };

interface Lookup {
  readonly pool: Pool;
  byHash(hash: number, avoid: number): number;
  update(server: LbServer): void;
}

export class HashBalancer implements Balancer {
  private readonly keys: KeyHasher;
  private readonly lookup: Lookup;
  /** The round-robin used when the key is missing. */
  private readonly fallback: (avoid: number) => number;

  constructor(
    private readonly settings: BalanceSettings,
    servers: readonly LbServer[],
  ) {
    this.keys = new KeyHasher(settings);
    if (settings.hashType.method === 'consistent') {
      const ring = new ConsistentRing(servers);
      this.lookup = ring;
      this.fallback = (avoid) => ring.next(avoid);
    } else {
      const map = new ServerMap(servers);
      // map_get_server_hash takes no server to avoid.
      this.lookup = { pool: map.pool, byHash: (h) => map.byHash(h), update: (s) => map.update(s) };
      this.fallback = (avoid) => map.roundRobin(avoid);
    }
  }

  pick(ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    const pool = this.lookup.pool;
    if (pool.totWeight === 0) return undefined;
    const av = pool.indexOf(avoid);
    const h = this.keyHash(ctx, pool.totUsed === 1);
    const i = h === MISSING ? this.fallback(av) : this.lookup.byHash(h, av);
    return i === NONE ? undefined : pool.servers[i];
  }

  update(server: LbServer): void {
    this.lookup.update(server);
  }

  /**
   * With a single server left HAProxy skips hashing (the key is 0) for source, uri
   * and hdr — even a missing header then goes to that server — but not url_param.
   */
  private keyHash(ctx: PickContext, single: boolean): number {
    const s = this.settings;
    switch (s.algorithm) {
      case 'source':
        return single ? 0 : this.keys.source(ctx.sourceAddress);
      case 'uri':
        if (ctx.uri === undefined) return MISSING;
        return single ? 0 : this.keys.uri(ctx.uri, s.uri ?? DEFAULT_URI);
      case 'url_param':
        if (ctx.uri === undefined || !s.arg) return MISSING;
        return this.keys.urlParam(ctx.uri, s.arg);
      case 'hdr':
        if (!ctx.header || !s.arg) return MISSING;
        return single ? 0 : this.keys.header(ctx.header(s.arg), s.useDomainOnly === true);
      default:
        return MISSING;
    }
  }
}
