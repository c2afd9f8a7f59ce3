/**
 * HAProxy's static server map (src/lb_map.c), used by `balance static-rr` and by the
 * hash algorithms under `hash-type map-based` (the default).
 *
 * The map has one slot per unit of total effective weight. Weights are first divided
 * by their greatest common divisor (taken over every server of the backend, at
 * configuration time), so weights 2,4,6 make a map of 6 slots, not 12. Slots are
 * dealt out by a smooth weighted election in which the first declared server wins
 * ties; a hash then picks slot `hash % size`, and static-rr walks the slots in order.
 */
import { Pool } from './pool.js';
import type { LbServer } from './types.js';

const NONE = -1;

export class ServerMap {
  readonly pool: Pool;
  private table: Int32Array;
  private readonly wscore: Float64Array;
  /** Next slot for static-rr and for the hash algorithms' round-robin fallback. */
  private rrIdx = 0;

  constructor(servers: readonly LbServer[]) {
    this.pool = new Pool(servers, 1, weightGcd(servers));
    // The largest map this server list can ever need: all actives, or all backups.
    let act = 0;
    let bck = 0;
    for (let i = 0; i < this.pool.n; i++) {
      if (this.pool.backup[i]) bck += this.pool.nextEweight(i);
      else act += this.pool.nextEweight(i);
    }
    this.table = new Int32Array(Math.max(act, bck, 1)).fill(NONE);
    this.wscore = new Float64Array(this.pool.n);
    this.recalc();
  }

  /** map_set_server_status_up/down: any change rebuilds the whole map. */
  update(server: LbServer): void {
    const p = this.pool;
    const i = p.refreshChanged(server);
    if (i < 0) return;
    p.recount();
    if (p.totWeight > this.table.length) {
      // Only reachable if a weight grew past its configured value, which HAProxy
      // refuses for static algorithms; grow rather than index out of bounds.
      this.table = new Int32Array(p.totWeight).fill(NONE);
    }
    this.recalc();
    p.commit(i);
  }

  /**
   * map_get_server_hash. Both operands are made unsigned 32-bit so that V8 divides integers:
   * an unsigned hash modulo a signed total compiles to a floating-point remainder (x87
   * fprem), several times slower.
   */
  byHash(hash: number): number {
    const tot = this.pool.totWeight >>> 0;
    return tot ? this.table[(hash >>> 0) % tot]! : NONE;
  }

  /** map_get_server_rr: the next slot, stepping over `avoid` unless it is all there is. */
  roundRobin(avoid: number): number {
    const tot = this.pool.totWeight;
    if (tot === 0) return NONE;
    if (this.rrIdx < 0 || this.rrIdx >= tot) this.rrIdx = 0;
    let idx = this.rrIdx;
    let avoided = NONE;
    let avoidIdx = 0;
    do {
      const srv = this.table[idx++]!;
      avoided = srv;
      avoidIdx = idx;
      if (srv !== avoid) {
        this.rrIdx = idx;
        return srv;
      }
      if (idx === tot) idx = 0;
    } while (idx !== this.rrIdx);
    if (avoided !== NONE) this.rrIdx = avoidIdx;
    return avoided;
  }

  /**
   * recalc_server_map: for each slot, every eligible server gains its weight in score
   * and the one whose (score + tot) / tot is highest — the first declared on a tie —
   * takes the slot and pays tot. Eligible means usable and in the group in use
   * (actives, or backups when no active is up: all usable backups, even though only
   * the first one's weight sizes the map, exactly as HAProxy does).
   */
  private recalc(): void {
    const p = this.pool;
    if (p.totUsed === 0) return;
    const tot = p.totWeight;
    const wantBackup = p.srvAct ? 0 : 1;
    this.wscore.fill(0);
    for (let o = 0; o < tot; o++) {
      let max = 0;
      let best = NONE;
      for (let i = 0; i < p.n; i++) {
        if (p.backup[i] !== wantBackup || !p.willBeUsable(i)) continue;
        if (tot === 1) {
          best = i; // one slot: the first eligible server, without dividing by 1
          break;
        }
        this.wscore[i] = this.wscore[i]! + p.nextEweight(i);
        const v = Math.trunc((this.wscore[i]! + tot) / tot);
        if (best === NONE || v > max) {
          max = v;
          best = i;
        }
      }
      this.table[o] = best;
      if (best !== NONE) this.wscore[best] = this.wscore[best]! - tot;
    }
  }
}

/** init_server_map's GCD of the configured weights; servers of weight 0 are skipped. */
function weightGcd(servers: readonly LbServer[]): number {
  let k = 0;
  while (k < servers.length && !userWeight(servers[k]!)) k++;
  if (k === servers.length) return 1;
  let g = userWeight(servers[k]!);
  while (g > 1 && ++k < servers.length) {
    let w = userWeight(servers[k]!);
    while (w) {
      const t = g % w;
      g = w;
      w = t;
    }
  }
  return g;
}

function userWeight(s: LbServer): number {
  return Math.max(0, Math.min(256, Math.floor(s.weight)));
}
