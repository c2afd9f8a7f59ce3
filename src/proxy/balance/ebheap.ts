/**
 * What the lb_*.c algorithms need from HAProxy's eb32 trees, for servers: the entry
 * with the smallest key, where entries with equal keys come out in the order they
 * were inserted (ebtree keeps duplicates in insertion order, and that order is what
 * makes HAProxy's ties round-robin). Entries are ordered by (key, insertion number).
 *
 * A server sits in at most one tree at a time (HAProxy's single `lb_node`), so all
 * the trees of one balancer share one `HeapSlots` (ebheap-slots.ts): the key, insertion number and
 * place of each server live there, indexed by the server's position.
 *
 * Each tree is two or three parts. The "run" is a linked list kept in order because an entry
 * may only join it at its end, and only if it sorts after the current last one: what a
 * round-robin re-queue or a leastconn server turning idle (key 0, the newest) mostly does.
 * A tree may have a second ("spill") run, for any key, on the same terms. Everything else
 * goes to a 4-ary heap. The smallest entry is the smallest of the runs' heads and the heap's
 * root, so a pick that takes the smallest and puts it back last costs O(1) instead of a sift
 * through the whole heap.
 *
 * Keys are unsigned 32-bit, so (key, insertion number) packs into one exact double,
 * key × 2^21 + number, and each comparison is a single one. Numbers are handed out
 * from 0; when they run out they are renumbered in the same order, which leaves
 * every tree valid.
 */

import type { HeapSlots } from './ebheap-slots.js';

/** Insertion numbers run from 0 to SEQ_SPAN - 1; then HeapSlots renumbers them. */
export const SEQ_SPAN = 2 ** 21;
const NONE = -1;
/** `pos` of an entry that sits in its tree's run, or in its spill run, rather than in its heap. */
const IN_RUN = -2;
const IN_SPILL = -3;

export class EbHeap {
  private readonly items: Int32Array;
  /** key × SEQ_SPAN + insertion number of the entry at each heap position: the order. */
  private readonly prios: Float64Array;
  private n = 0;
  /**
   * The run (keys up to runKeyLimit) and the spill run (any key). Each has its own fields and
   * methods rather than a run index: the shared, indexed form cost roundrobin 15 % (measured).
   */
  private runHead = NONE;
  private runTail = NONE;
  private runCount = 0;
  private spillHead = NONE;
  private spillTail = NONE;
  private spillCount = 0;

  constructor(
    private readonly slots: HeapSlots,
    readonly id: number,
    private readonly runKeyLimit: number,
    private readonly spill: boolean,
  ) {
    this.items = new Int32Array(slots.size);
    this.prios = new Float64Array(slots.size);
  }

  get length(): number {
    return this.n + this.runCount + this.spillCount;
  }

  /** eb32_first: the smallest key, earliest inserted among equals; -1 when empty. */
  first(): number {
    const h = this.runHead;
    let best = h;
    if (this.n > 0 && (h === NONE || this.prios[0]! < this.slots.prio[h]!)) best = this.items[0]!;
    const sp = this.spillHead;
    if (sp === NONE || best === NONE) return best === NONE ? sp : best;
    // Three parts: compare the spill run's head with the winner so far.
    const bp = this.slots.pos[best]! >= 0 ? this.prios[0]! : this.slots.prio[best]!;
    return this.slots.prio[sp]! < bp ? sp : best;
  }

  /** The entry eb32_next would give after first(): the smallest of what the other parts and first()'s own part hold next. */
  second(): number {
    const f = this.first();
    if (f === NONE) return NONE;
    const sl = this.slots;
    const prio = sl.prio;
    let best = NONE;
    let bp = Infinity;
    let h = this.runHead;
    if (h === f) h = sl.next[f]!;
    if (h !== NONE) {
      best = h;
      bp = prio[h]!;
    }
    h = this.spillHead;
    if (h === f) h = sl.next[f]!;
    if (h !== NONE && prio[h]! < bp) {
      best = h;
      bp = prio[h]!;
    }
    if (sl.pos[f]! >= 0) {
      // In a heap the runner-up is one of the root's children.
      for (let c = 1; c <= 4 && c < this.n; c++) {
        if (this.prios[c]! < bp) {
          best = this.items[c]!;
          bp = this.prios[c]!;
        }
      }
    } else if (this.n > 0 && this.prios[0]! < bp) best = this.items[0]!;
    return best;
  }

  insert(s: number, key: number): void {
    const sl = this.slots;
    const q = sl.stamp(s, key);
    sl.owner[s] = this.id;
    this.place(s, key, key * SEQ_SPAN + q);
  }

  /**
   * Gives an entry a new key. It then sorts after entries of equal key, as after
   * eb32_delete + eb32_insert; within the heap it takes one sift instead of two.
   */
  rekey(s: number, key: number): void {
    const sl = this.slots;
    const q = sl.stamp(s, key);
    const ps = key * SEQ_SPAN + q;
    const i = sl.pos[s]!;
    if (i === IN_RUN) {
      this.unlink(s);
      this.place(s, key, ps);
    } else if (i === IN_SPILL) {
      this.unlinkSpill(s);
      this.place(s, key, ps);
    } else if (this.fitsRun(key, ps)) {
      this.removeAt(i);
      this.append(s, ps);
    } else if (this.fitsSpill(ps)) {
      this.removeAt(i);
      this.appendSpill(s, ps);
    } else {
      this.resift(i, s, ps);
    }
  }

  remove(s: number): void {
    const sl = this.slots;
    if (sl.owner[s] !== this.id) return;
    const i = sl.pos[s]!;
    if (i === IN_RUN) this.unlink(s);
    else if (i === IN_SPILL) this.unlinkSpill(s);
    else if (i >= 0) this.removeAt(i);
    sl.pos[s] = NONE;
    sl.owner[s] = NONE;
  }

  /** Recomputes the order values after the slots were renumbered (same order). */
  reorder(): void {
    const sl = this.slots;
    for (let i = 0; i < this.n; i++) {
      const s = this.items[i]!;
      this.prios[i] = sl.key[s]! * SEQ_SPAN + sl.seq[s]!;
    }
    for (let s = this.runHead; s !== NONE; s = sl.next[s]!) sl.prio[s] = sl.key[s]! * SEQ_SPAN + sl.seq[s]!;
    for (let s = this.spillHead; s !== NONE; s = sl.next[s]!) sl.prio[s] = sl.key[s]! * SEQ_SPAN + sl.seq[s]!;
  }

  private fitsRun(key: number, ps: number): boolean {
    return key <= this.runKeyLimit && (this.runTail === NONE || ps >= this.slots.prio[this.runTail]!);
  }

  private fitsSpill(ps: number): boolean {
    return this.spill && (this.spillTail === NONE || ps >= this.slots.prio[this.spillTail]!);
  }

  private place(s: number, key: number, ps: number): void {
    if (this.fitsRun(key, ps)) this.append(s, ps);
    else if (this.fitsSpill(ps)) this.appendSpill(s, ps);
    else this.up(this.n++, s, ps);
  }

  private append(s: number, ps: number): void {
    const sl = this.slots;
    sl.prio[s] = ps;
    sl.pos[s] = IN_RUN;
    sl.next[s] = NONE;
    sl.prev[s] = this.runTail;
    if (this.runTail === NONE) this.runHead = s;
    else sl.next[this.runTail] = s;
    this.runTail = s;
    this.runCount++;
  }

  private unlink(s: number): void {
    const sl = this.slots;
    const before = sl.prev[s]!;
    const after = sl.next[s]!;
    if (before === NONE) this.runHead = after;
    else sl.next[before] = after;
    if (after === NONE) this.runTail = before;
    else sl.prev[after] = before;
    this.runCount--;
  }

  private appendSpill(s: number, ps: number): void {
    const sl = this.slots;
    sl.prio[s] = ps;
    sl.pos[s] = IN_SPILL;
    sl.next[s] = NONE;
    sl.prev[s] = this.spillTail;
    if (this.spillTail === NONE) this.spillHead = s;
    else sl.next[this.spillTail] = s;
    this.spillTail = s;
    this.spillCount++;
  }

  private unlinkSpill(s: number): void {
    const sl = this.slots;
    const before = sl.prev[s]!;
    const after = sl.next[s]!;
    if (before === NONE) this.spillHead = after;
    else sl.next[before] = after;
    if (after === NONE) this.spillTail = before;
    else sl.prev[after] = before;
    this.spillCount--;
  }

  /** Takes out the heap entry at position i: the last entry fills the hole. */
  private removeAt(i: number): void {
    const last = --this.n;
    if (last !== i) this.resift(i, this.items[last]!, this.prios[last]!);
  }

  /** Puts entry `s` of order `ps` at position i, then moves it up or down to its place. */
  private resift(i: number, s: number, ps: number): void {
    if (i > 0 && ps < this.prios[(i - 1) >> 2]!) this.up(i, s, ps);
    else this.down(i, s, ps);
  }

  private up(i: number, s: number, ps: number): void {
    const it = this.items;
    const prios = this.prios;
    const pos = this.slots.pos;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pp = prios[p]!;
      if (ps >= pp) break;
      const q = it[p]!;
      it[i] = q;
      prios[i] = pp;
      pos[q] = i;
      i = p;
    }
    it[i] = s;
    prios[i] = ps;
    pos[s] = i;
  }

  private down(i: number, s: number, ps: number): void {
    const it = this.items;
    const prios = this.prios;
    const pos = this.slots.pos;
    const n = this.n;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      const last = first + 4 < n ? first + 4 : n;
      let c = first;
      let pc = prios[first]!;
      for (let k = first + 1; k < last; k++) {
        const pk = prios[k]!;
        if (pk < pc) {
          c = k;
          pc = pk;
        }
      }
      if (pc >= ps) break;
      const cs = it[c]!;
      it[i] = cs;
      prios[i] = pc;
      pos[cs] = i;
      i = c;
    }
    it[i] = s;
    prios[i] = ps;
    pos[s] = i;
  }
}
