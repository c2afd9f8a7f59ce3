/**
 * `balance roundrobin`: HAProxy's fast weighted round-robin (src/lb_fwrr.c), ported
 * rule for rule so that the sequence of picks is HAProxy's own.
 *
 * Each group (actives, backups) has three trees: "init" holds servers not yet placed
 * in this cycle, sorted heaviest first; "curr" holds placed servers sorted by their
 * next position `npos` in a window of `curr_weight` slots; "next" holds servers that
 * overflowed the window and wait for the trees to switch. A server of effective
 * weight w advances its position by next_weight / w on each pick (remainders carried
 * in `rweight`), so it is picked w times per window of next_weight picks.
 */
import type { EbHeap } from './ebheap.js';
import { HeapSlots } from './ebheap-slots.js';
import { Pool, BE_WEIGHT_SCALE, SRV_EWGHT_MAX, SRV_UWGHT_RANGE } from './pool.js';
import type { Balancer, LbServer, PickContext } from './types.js';

const NONE = -1;
/** Any key may join a tree's run (ebheap.ts): a server re-queued behind all others, as equal weights do, costs O(1). */
const RUN_KEYS = Infinity;

interface Group {
  currPos: number;
  currWeight: number;
  nextWeight: number;
  curr: EbHeap;
  /** "init" and "next" point at t0/t1 and swap on every switch. */
  init: EbHeap;
  next: EbHeap;
}

export class FwrrBalancer implements Balancer {
  private readonly pool: Pool;
  private readonly slots: HeapSlots;
  private readonly act: Group;
  private readonly bck: Group;
  private readonly npos: Float64Array;
  private readonly lpos: Float64Array;
  private readonly rweight: Float64Array;
  /** HAProxy's `lb_tree`: the heap id a server was last queued into, or NONE once removed. */
  private readonly lbTree: Int32Array;
  /** Chain of servers extracted during one pick (HAProxy's `next_full`). */
  private readonly nextFull: Int32Array;

  constructor(servers: readonly LbServer[]) {
    this.pool = new Pool(servers, BE_WEIGHT_SCALE, 1);
    const n = servers.length;
    this.slots = new HeapSlots(n);
    this.npos = new Float64Array(n);
    this.lpos = new Float64Array(n);
    this.rweight = new Float64Array(n);
    this.lbTree = new Int32Array(n).fill(NONE);
    this.nextFull = new Int32Array(n).fill(NONE);
    this.act = this.newGroup(this.pool.totWact);
    this.bck = this.newGroup(this.pool.totWbck);
    for (let i = 0; i < n; i++) {
      if (this.pool.curUsable[i]) this.queueByWeight(this.group(i).init, i);
    }
  }

  pick(_ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    const i = this.getNextServer(this.pool.indexOf(avoid));
    return i === NONE ? undefined : this.pool.servers[i];
  }

  /** fwrr_update_server_weight, which hands state changes to the up/down handlers. */
  update(server: LbServer): void {
    const p = this.pool;
    const i = p.refreshChanged(server);
    if (i < 0) return;
    const oldState = p.curUsable[i] === 1;
    const newState = p.willBeUsable(i);
    const grp = this.group(i);
    const curEw = p.curEweight[i]!;
    const nextEw = p.nextEweight(i);
    p.recount();
    if (oldState && !newState) {
      grp.nextWeight -= curEw;
      this.slots.detach(i);
      this.lbTree[i] = NONE;
    } else if (!oldState && newState) {
      grp.nextWeight += nextEw;
      this.getSrv(i);
      this.npos[i] = grp.currPos + idiv(grp.nextWeight + grp.currWeight - grp.currPos, nextEw);
      this.queueSrv(i);
    } else if (oldState && newState) {
      grp.nextWeight = grp.nextWeight - curEw + nextEw;
      this.reweight(i, grp, nextEw);
    }
    p.commit(i);
  }

  private reweight(i: number, grp: Group, nextEw: number): void {
    if (this.lbTree[i] === grp.init.id) {
      this.slots.detach(i);
      this.queueByWeight(grp.init, i);
    } else if (this.lbTree[i] === NONE) {
      this.slots.detach(i);
      this.getSrv(i);
      this.npos[i] = grp.currPos + idiv(grp.nextWeight + grp.currWeight - grp.currPos, nextEw);
      this.queueSrv(i);
    } else {
      // Still placed: keep the server's progress, but let it move no later than its
      // old slot and no earlier than two picks from now.
      this.getSrv(i);
      const prevNext = this.npos[i]!;
      const step = idiv(grp.nextWeight, nextEw);
      this.npos[i] = this.lpos[i]! + step;
      this.rweight[i] = 0;
      if (this.npos[i]! > prevNext) this.npos[i] = prevNext;
      if (this.npos[i]! < grp.currPos + 2) this.npos[i] = grp.currPos + step;
      this.slots.detach(i);
      this.queueSrv(i);
    }
  }

  private getNextServer(avoid: number): number {
    const p = this.pool;
    let grp: Group;
    if (p.srvAct) grp = this.act;
    else if (p.fbck >= 0) return p.fbck;
    else if (p.srvBck) grp = this.bck;
    else return NONE;

    let switched = false;
    let avoided = NONE;
    let full = NONE;
    let srv = NONE;
    for (;;) {
      // An emptied window picks up weights that changed since it was opened.
      if (!grp.currWeight) grp.currPos = grp.currWeight = grp.nextWeight;
      for (;;) {
        srv = this.fromGroup(grp);
        if (srv !== NONE) break;
        if (switched) {
          if (avoided !== NONE) {
            this.queueSrv(avoided);
            return this.requeue(grp, full, avoided, switched);
          }
          return this.requeue(grp, full, NONE, switched);
        }
        switched = true;
        this.switchTrees(grp);
      }
      this.updatePosition(grp, srv);
      grp.currPos++;
      // No maxconn here, so no server is ever saturated; only `avoid` is skipped, once.
      // The chosen one stays in its tree until queueSrv re-places it (same order as
      // HAProxy's dequeue + queue, one heap operation cheaper).
      if (srv !== avoid || avoided !== NONE) break;
      this.slots.detach(srv);
      avoided = srv;
      this.nextFull[srv] = full;
      full = srv;
    }
    this.queueSrv(srv);
    return this.requeue(grp, full, srv, switched);
  }

  /** Puts back the servers a pick took out but did not choose. */
  private requeue(grp: Group, full: number, srv: number, switched: boolean): number {
    while (full !== NONE) {
      const next = this.nextFull[full]!;
      if (full !== srv) {
        // After a switch their old places are meaningless: only their weight counts.
        if (switched) this.queueByWeight(grp.init, full);
        else this.queueSrv(full);
      }
      this.nextFull[full] = NONE;
      full = next;
    }
    return srv;
  }

  /** fwrr_get_server_from_group: next placed server if its turn has come, else a new one. */
  private fromGroup(grp: Group): number {
    const s1 = grp.curr.first();
    if (s1 !== NONE && this.pool.curEweight[s1] && this.npos[s1]! <= grp.currPos) return s1;
    const s2 = grp.init.first();
    if (s2 !== NONE && this.pool.curEweight[s2]) {
      this.npos[s2] = this.rweight[s2] = 0;
      return s2;
    }
    return s1;
  }

  private updatePosition(grp: Group, s: number): void {
    const ew = this.pool.curEweight[s]!;
    if (!ew) return;
    if (!this.npos[s]) this.npos[s] = grp.currPos; // first time ever for this server
    this.lpos[s] = this.npos[s]!;
    this.npos[s] = this.npos[s]! + Math.floor(grp.nextWeight / ew);
    this.rweight[s] = this.rweight[s]! + (grp.nextWeight % ew);
    if (this.rweight[s]! >= ew) {
      this.rweight[s] = this.rweight[s]! - ew;
      this.npos[s] = this.npos[s]! + 1;
    }
  }

  private queueSrv(s: number): void {
    const grp = this.group(s);
    const nextEw = this.pool.nextEweight(s);
    if (!this.pool.willBeUsable(s)) {
      this.slots.detach(s);
      this.lbTree[s] = NONE;
    } else if (
      nextEw <= 0 ||
      this.npos[s]! >= 2 * grp.currWeight ||
      this.npos[s]! >= grp.currWeight + grp.nextWeight
    ) {
      // Does not fit this window: wait in "next", keeping what it overshot.
      this.npos[s] = this.npos[s]! - grp.currWeight;
      this.queueByWeight(grp.next, s);
    } else {
      // Sorted by position, then lighter servers after heavier ones at equal positions.
      const key =
        SRV_UWGHT_RANGE * this.npos[s]! +
        Math.floor((SRV_EWGHT_MAX + this.rweight[s]! - nextEw) / BE_WEIGHT_SCALE);
      this.place(grp.curr, s, key >>> 0);
      this.lbTree[s] = grp.curr.id;
    }
  }

  /** Heaviest first: the key is the inverted weight. */
  private queueByWeight(root: EbHeap, s: number): void {
    this.place(root, s, SRV_EWGHT_MAX - this.pool.nextEweight(s));
    this.lbTree[s] = root.id;
  }

  private place(root: EbHeap, s: number, key: number): void {
    if (this.slots.owner[s] === root.id) {
      root.rekey(s, key);
    } else {
      this.slots.detach(s);
      root.insert(s, key);
    }
  }

  /** fwrr_get_srv: prepares a server's position when taking it out of its tree. */
  private getSrv(s: number): void {
    const grp = this.group(s);
    const t = this.lbTree[s];
    if (t === grp.init.id) this.npos[s] = this.rweight[s] = 0;
    else if (t === grp.next.id) this.npos[s] = this.npos[s]! + grp.currWeight;
    else if (t === NONE) this.npos[s] = grp.currPos;
  }

  private switchTrees(grp: Group): void {
    const swap = grp.init;
    grp.init = grp.next;
    grp.next = swap;
    grp.currWeight = grp.nextWeight;
    grp.currPos = grp.currWeight;
  }

  private group(s: number): Group {
    return this.pool.backup[s] ? this.bck : this.act;
  }

  private newGroup(totWeight: number): Group {
    const s = this.slots;
    return { currPos: totWeight, currWeight: totWeight, nextWeight: totWeight, curr: s.newHeap(RUN_KEYS), init: s.newHeap(RUN_KEYS), next: s.newHeap(RUN_KEYS) };
  }
}

/** C's integer division of ints (truncates toward zero). */
function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}
