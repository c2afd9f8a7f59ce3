/**
 * HAProxy's consistent-hash ring (src/lb_chash.c), used by `hash-type consistent`
 * and by `balance random`.
 *
 * A server of user weight w owns w × 16 points; point j of the server with id
 * (puid) p sits at full_hash(p × 4096 + j), 4096 being SRV_EWGHT_RANGE (256 × 16).
 * A key goes to the nearer of the two points around it (the one below wins a tie,
 * the ring wraps), so points depend only on ids and weights: adding or removing a
 * server moves only the keys nearest its own points.
 *
 * HAProxy keeps the points in an eb32 tree; here each ring (actives, backups) is a
 * sorted array searched by bisection. Equal keys stay in insertion order, as ebtree
 * keeps them, though full_hash is a bijection so distinct points never collide.
 */
import { Ring } from './chash-ring.js';
import { fullHash } from './hash-functions.js';
import { Pool, BE_WEIGHT_SCALE, SRV_EWGHT_RANGE } from './pool.js';
import type { LbServer } from './types.js';

const NONE = -1;

export class ConsistentRing {
  readonly pool: Pool;
  private readonly act = new Ring();
  private readonly bck = new Ring();
  /** Points each server has in its ring now, and has keys for (lb_nodes_now, lb_nodes_tot). */
  private readonly nodesNow: Int32Array;
  private readonly nodesTot: Int32Array;
  /** The round-robin cursor (lbprm.chash.last) as a (server, point) pair, or NONE. */
  private lastSrv = NONE;
  private lastNode = NONE;
  private lastIdx = NONE;

  constructor(servers: readonly LbServer[]) {
    this.pool = new Pool(servers, BE_WEIGHT_SCALE, 1);
    this.nodesNow = new Int32Array(this.pool.n);
    this.nodesTot = new Int32Array(this.pool.n);
    for (let i = 0; i < this.pool.n; i++) this.nodesTot[i] = this.pool.nextEweight(i);
    this.fill(this.act, 0);
    this.fill(this.bck, 1);
  }

  /**
   * Builds a ring in one sort rather than server by server: the points come in
   * declaration order, and a stable sort keeps that order for any equal keys.
   */
  private fill(ring: Ring, backup: number): void {
    const p = this.pool;
    const keys: number[] = [];
    const srv: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < p.n; i++) {
      if (!p.curUsable[i] || p.backup[i] !== backup) continue;
      const w = p.nextEweight(i);
      for (let j = 0; j < w; j++) {
        keys.push(pointKey(p.servers[i]!.id, j));
        srv.push(i);
        node.push(j);
      }
      this.nodesNow[i] = w;
    }
    const order = keys.map((_, k) => k).sort((a, b) => keys[a]! - keys[b]!);
    ring.keys = Uint32Array.from(order, (k) => keys[k]!);
    ring.srv = Int32Array.from(order, (k) => srv[k]!);
    ring.node = Int32Array.from(order, (k) => node[k]!);
    ring.length = order.length;
    ring.reindex();
  }

  /** chash_set_server_status_up/down and chash_update_server_weight. */
  update(server: LbServer): void {
    const p = this.pool;
    const i = p.refreshChanged(server);
    if (i < 0) return;
    const oldState = p.curUsable[i] === 1;
    const newState = p.willBeUsable(i);
    p.recount();
    if (oldState && !newState) this.adjust(i, 0);
    else if (newState) this.adjust(i, p.nextEweight(i));
    p.commit(i);
  }

  /**
   * chash_get_server_hash: the server owning the point nearest to `hash`, stepping
   * forward along the ring past `avoid`. With no active server up, the first usable
   * backup takes everything.
   */
  byHash(hash: number, avoid: number): number {
    const p = this.pool;
    let ring: Ring;
    if (p.srvAct) ring = this.act;
    else if (p.fbck >= 0) return p.fbck;
    else if (p.srvBck) ring = this.bck;
    else return NONE;
    const len = ring.length;
    if (len === 0) return NONE;
    // Most slices of the key space go to one server whatever the key in them (Ring.owners).
    const owner = ring.ownerOf(hash);
    if (owner >= 0 && owner !== avoid) return owner;

    let next = ring.lowerBound(hash);
    if (next === len) next = 0;
    const prev = next === 0 ? len - 1 : next - 1;
    // Unsigned distances on the ring; the point below wins a tie.
    const dp = (hash - ring.keys[prev]!) >>> 0;
    const dn = (ring.keys[next]! - hash) >>> 0;
    let at = dp <= dn ? prev : next;
    let srv = ring.srv[at]!;
    let loop = 0;
    while (srv === avoid) {
      at++;
      if (at === len) {
        at = 0;
        if (++loop > 1) break;
      }
      srv = ring.srv[at]!;
    }
    return srv;
  }

  /**
   * chash_get_next_server: walks the ring one point past the cursor (the fallback
   * when the hashed input is missing, e.g. no such header or URL parameter).
   */
  next(avoid: number): number {
    const p = this.pool;
    let ring: Ring;
    if (p.srvAct) ring = this.act;
    else if (p.fbck >= 0) return p.fbck;
    else if (p.srvBck) ring = this.bck;
    else return NONE;
    const len = ring.length;
    if (len === 0) {
      this.lastSrv = this.lastNode = NONE;
      return NONE;
    }
    const start = this.cursorIndex(ring);
    let at = start;
    let stop = start;
    let avoidedAt = NONE;
    do {
      at = at === NONE || at + 1 >= len ? 0 : at + 1;
      if (stop === NONE) stop = at;
      const s = ring.srv[at]!;
      if (s !== avoid) {
        this.setCursor(ring, at);
        return s;
      }
      avoidedAt = at;
    } while (at !== stop);
    this.setCursor(ring, avoidedAt);
    return avoidedAt === NONE ? NONE : ring.srv[avoidedAt]!;
  }

  /**
   * chash_queue_dequeue_srv: gives server i exactly `want` points, removing its
   * highest-numbered ones or adding the missing ones in order.
   */
  private adjust(i: number, want: number): void {
    const ring = this.pool.backup[i] ? this.bck : this.act;
    const now = this.nodesNow[i]!;
    if (now > want) {
      this.moveCursorOff(ring, i, want);
      ring.removeFrom(i, want);
      this.nodesNow[i] = want;
    } else if (now < want) {
      // HAProxy allocates points for the configured weight up front; a server whose
      // weight grows past it is taken out and re-added whole (its points re-inserted),
      // which here only matters for the order of equal keys.
      let from = now;
      if (want > this.nodesTot[i]!) {
        if (now > 0) {
          this.moveCursorOff(ring, i, 0);
          ring.removeFrom(i, 0);
        }
        from = 0;
        this.nodesTot[i] = want;
      }
      const count = want - from;
      const puid = this.pool.servers[i]!.id;
      const pts: Array<[number, number]> = [];
      for (let j = from; j < want; j++) pts.push([pointKey(puid, j), j]);
      pts.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      const keys = new Uint32Array(count);
      const nodes = new Int32Array(count);
      pts.forEach(([k, j], o) => {
        keys[o] = k;
        nodes[o] = j;
      });
      ring.merge(keys, i, nodes);
      this.nodesNow[i] = want;
    }
  }

  private cursorIndex(ring: Ring): number {
    if (this.lastSrv === NONE) return NONE;
    const at = this.lastIdx;
    // The cached index is only a hint: rings are rebuilt when servers change.
    if (at >= 0 && at < ring.length && ring.srv[at] === this.lastSrv && ring.node[at] === this.lastNode) return at;
    return (this.lastIdx = ring.indexOf(this.lastSrv, this.lastNode));
  }

  private setCursor(ring: Ring, at: number): void {
    this.lastIdx = at;
    this.lastSrv = at === NONE ? NONE : ring.srv[at]!;
    this.lastNode = at === NONE ? NONE : ring.node[at]!;
  }

  /**
   * chash_skip_node, applied as points are deleted: a cursor on a deleted point moves
   * to the first point after it (wrapping) that survives, or to none.
   */
  private moveCursorOff(ring: Ring, s: number, from: number): void {
    if (this.lastSrv !== s || this.lastNode < from) return;
    const at = ring.indexOf(this.lastSrv, this.lastNode);
    if (at === NONE) return;
    for (let k = 1; k < ring.length; k++) {
      const c = (at + k) % ring.length;
      if (ring.srv[c] !== s || ring.node[c]! < from) {
        this.setCursor(ring, c);
        return;
      }
    }
    this.setCursor(ring, NONE);
  }
}

/** Where point j of the server with id `puid` sits on the ring. */
export function pointKey(puid: number, j: number): number {
  return fullHash((Math.imul(puid, SRV_EWGHT_RANGE) + j) >>> 0);
}
