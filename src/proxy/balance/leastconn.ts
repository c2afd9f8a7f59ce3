/**
 * `balance leastconn`: HAProxy's fast weighted least-connections (src/lb_fwlc.c).
 *
 * Servers sit in a tree keyed by (in-flight + 1) × 4096 / eweight — the load they
 * would have once picked — except that an idle server's key is 0, so idle servers
 * are always tried first. Equal keys come out in insertion order, and a server is
 * only re-inserted when its key actually changes: among idle servers the one idle
 * longest goes first, which turns sequential traffic into a plain rotation.
 *
 * The data path updates `activeConns` first, then calls taken()/released(), as
 * HAProxy bumps `served` before calling server_take_conn/server_drop_conn.
 */
import type { EbHeap } from './ebheap.js';
import { HeapSlots } from './ebheap-slots.js';
import { pickLowestKey } from './least-key.js';
import { Pool, BE_WEIGHT_SCALE, SRV_EWGHT_MAX } from './pool.js';
import type { Balancer, LbServer, PickContext } from './types.js';

/**
 * Idle servers (key 0) queue up in each tree's run: taking one and letting it go idle again is
 * O(1). Busy ones go to the spill run while they arrive in key order (as under an even load,
 * where the server picked has the key the previous ones got), to the heap otherwise.
 */
const RUN_KEYS = 0;

export class FwlcBalancer implements Balancer {
  private readonly pool: Pool;
  private readonly slots: HeapSlots;
  private readonly act: EbHeap;
  private readonly bck: EbHeap;

  constructor(servers: readonly LbServer[]) {
    this.pool = new Pool(servers, BE_WEIGHT_SCALE, 1);
    this.slots = new HeapSlots(this.pool.n);
    this.act = this.slots.newHeap(RUN_KEYS, true);
    this.bck = this.slots.newHeap(RUN_KEYS, true);
    for (let i = 0; i < this.pool.n; i++) {
      if (this.pool.curUsable[i]) this.queue(i, this.pool.nextEweight(i));
    }
  }

  pick(_ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    // No maxconn: the least loaded wins, unless it is the server to avoid, in which
    // case the runner-up does (or the avoided one, if it is alone).
    return pickLowestKey(this.pool, this.act, this.bck, avoid);
  }

  taken(server: LbServer): void {
    this.reposition(this.pool.indexOf(server));
  }

  released(server: LbServer): void {
    this.reposition(this.pool.indexOf(server));
  }

  /** fwlc_set_server_status_up/down and fwlc_update_server_weight. */
  update(server: LbServer): void {
    const p = this.pool;
    const i = p.refreshChanged(server);
    if (i < 0) return;
    const oldState = p.curUsable[i] === 1;
    const newState = p.willBeUsable(i);
    p.recount();
    if (oldState) this.slots.detach(i);
    if (newState) this.queue(i, p.nextEweight(i));
    p.commit(i);
  }

  private key(i: number, eweight: number): number {
    const inflight = Math.max(0, this.pool.servers[i]!.activeConns | 0);
    return inflight ? Math.floor(((inflight + 1) * SRV_EWGHT_MAX) / (eweight || 1)) >>> 0 : 0;
  }

  private queue(i: number, eweight: number): void {
    (this.pool.backup[i] ? this.bck : this.act).insert(i, this.key(i, eweight));
  }

  /**
   * fwlc_srv_reposition: moves a server only if its key changed, so ties keep their turn.
   * Within its heap the move is one re-sift (rekey), which orders it after equal keys
   * exactly as a delete and re-insert would.
   */
  private reposition(i: number): void {
    if (i < 0 || !this.pool.curUsable[i]) return;
    const k = this.key(i, this.pool.curEweight[i]!);
    const owner = this.slots.owner[i]!;
    if (owner >= 0 && this.slots.key[i] === k) return;
    const heap = this.pool.backup[i] ? this.bck : this.act;
    if (owner === heap.id) heap.rekey(i, k);
    else {
      this.slots.detach(i);
      heap.insert(i, k);
    }
  }
}
