/**
 * What the lb_*.c algorithms need from HAProxy's eb32 trees, for servers: the entry
 * with the smallest key, where entries with equal keys come out in the order they
 * were inserted (ebtree keeps duplicates in insertion order, and that order is what
 * makes HAProxy's ties round-robin). Entries are ordered by (key, insertion number).
 *
 * A server sits in at most one tree at a time (HAProxy's single `lb_node`), so all
 * the trees of one balancer share one `HeapSlots`: the key, insertion number and
 * place of each server live there, indexed by the server's position.
 *
 * Each tree is two parts. The "run" is a linked list kept in order because an entry may
 * only join it at its end, and only if it sorts after the current last one: what a
 * round-robin re-queue or a leastconn server turning idle (key 0, the newest) mostly does.
 * Everything else goes to a 4-ary heap. The smallest entry is the smaller of the run's
 * head and the heap's root, so a pick that takes the smallest and puts it back last costs
 * O(1) instead of a sift through the whole heap.
 *
 * Keys are unsigned 32-bit, so (key, insertion number) packs into one exact double,
 * key × 2^21 + number, and each comparison is a single one. Numbers are handed out
 * from 0; when they run out they are renumbered in the same order, which leaves
 * every tree valid.
 */

const SEQ_SPAN = 2 ** 21;
const NONE = -1;
/** `pos` of an entry that sits in its tree's run rather than in its heap. */
const IN_RUN = -2;

export class HeapSlots {
  readonly key: Float64Array;
  readonly seq: Float64Array;
  /** key × SEQ_SPAN + seq, kept for entries in a run (heap entries keep it by position). */
  readonly prio: Float64Array;
  /** Position inside its heap, IN_RUN, or -1 when in no tree. */
  readonly pos: Int32Array;
  /** Which tree holds the server (its id), or -1. */
  readonly owner: Int32Array;
  /** Run links. */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  private counter = 0;
  private readonly heaps: EbHeap[] = [];

  constructor(readonly size: number) {
    this.key = new Float64Array(size);
    this.seq = new Float64Array(size);
    this.prio = new Float64Array(size);
    this.pos = new Int32Array(size).fill(NONE);
    this.owner = new Int32Array(size).fill(NONE);
    this.next = new Int32Array(size).fill(NONE);
    this.prev = new Int32Array(size).fill(NONE);
  }

  /**
   * A new tree. Entries with keys up to `runKeyLimit` may go to its run (-1: none does;
   * first.ts keeps its servers by id and never re-queues, so a run would not help it).
   */
  newHeap(runKeyLimit: number): EbHeap {
    const heap = new EbHeap(this, this.heaps.length, runKeyLimit);
    this.heaps.push(heap);
    return heap;
  }

  /** Sets an entry's key with a fresh insertion number; returns the number. */
  stamp(s: number, key: number): number {
    if (this.counter >= SEQ_SPAN) this.renumber();
    const q = this.counter++;
    this.key[s] = key;
    this.seq[s] = q;
    return q;
  }

  private renumber(): void {
    const live: number[] = [];
    for (let s = 0; s < this.size; s++) if (this.owner[s]! >= 0) live.push(s);
    live.sort((a, b) => this.seq[a]! - this.seq[b]!);
    live.forEach((s, q) => {
      this.seq[s] = q;
    });
    this.counter = live.length;
    for (const heap of this.heaps) heap.reorder();
  }

  /** Removes `s` from whichever tree holds it (eb32_delete needs no root either). */
  detach(s: number): void {
    const o = this.owner[s]!;
    if (o >= 0) this.heaps[o]!.remove(s);
  }
}

export class EbHeap {
  private readonly items: Int32Array;
  /** key × SEQ_SPAN + insertion number of the entry at each heap position: the order. */
  private readonly prios: Float64Array;
  private n = 0;
  private runHead = NONE;
  private runTail = NONE;
  private runCount = 0;

  constructor(
    private readonly slots: HeapSlots,
    readonly id: number,
    private readonly runKeyLimit: number,
  ) {
    this.items = new Int32Array(slots.size);
    this.prios = new Float64Array(slots.size);
  }

  get length(): number {
    return this.n + this.runCount;
  }

  /** eb32_first: the smallest key, earliest inserted among equals; -1 when empty. */
  first(): number {
    const h = this.runHead;
    if (this.n === 0) return h;
    if (h === NONE || this.prios[0]! < this.slots.prio[h]!) return this.items[0]!;
    return h;
  }

  /** The entry eb32_next would give after first(): the runner-up of the run and the heap. */
  second(): number {
    const f = this.first();
    if (f === NONE) return NONE;
    const sl = this.slots;
    let best = NONE;
    let bestPrio = Infinity;
    // The other part's smallest, and the runner-up within the part that gave the first.
    if (f === this.runHead) {
      const after = sl.next[f]!;
      if (after !== NONE) {
        best = after;
        bestPrio = sl.prio[after]!;
      }
      if (this.n > 0 && this.prios[0]! < bestPrio) best = this.items[0]!;
      return best;
    }
    if (this.runHead !== NONE) {
      best = this.runHead;
      bestPrio = sl.prio[best]!;
    }
    // In a heap the runner-up is one of the root's children.
    for (let c = 1; c <= 4 && c < this.n; c++) {
      if (this.prios[c]! < bestPrio) {
        best = this.items[c]!;
        bestPrio = this.prios[c]!;
      }
    }
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
    } else if (this.fitsRun(key, ps)) {
      this.removeAt(i);
      this.append(s, ps);
    } else {
      this.resift(i, s, ps);
    }
  }

  remove(s: number): void {
    const sl = this.slots;
    if (sl.owner[s] !== this.id) return;
    const i = sl.pos[s]!;
    if (i === IN_RUN) this.unlink(s);
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
  }

  private fitsRun(key: number, ps: number): boolean {
    return key <= this.runKeyLimit && (this.runTail === NONE || ps >= this.slots.prio[this.runTail]!);
  }

  private place(s: number, key: number, ps: number): void {
    if (this.fitsRun(key, ps)) this.append(s, ps);
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
