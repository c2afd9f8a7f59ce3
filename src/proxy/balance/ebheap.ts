/**
 * What the lb_*.c algorithms need from HAProxy's eb32 trees, for servers: the entry
 * with the smallest key, where entries with equal keys come out in the order they
 * were inserted (ebtree keeps duplicates in insertion order, and that order is what
 * makes HAProxy's ties round-robin). An indexed binary heap ordered by (key,
 * insertion number) gives exactly that order with O(log n) insert/delete.
 *
 * A server sits in at most one tree at a time (HAProxy's single `lb_node`), so all
 * the heaps of one balancer share one `HeapSlots`: the key, insertion number and
 * position of each server live there, indexed by the server's position.
 *
 * Keys are unsigned 32-bit, so (key, insertion number) packs into one exact double,
 * key × 2^21 + number, and each comparison is a single one. Numbers are handed out
 * from 0; when they run out they are renumbered in the same order, which leaves
 * every heap valid.
 */

const SEQ_SPAN = 2 ** 21;

export class HeapSlots {
  readonly key: Float64Array;
  readonly seq: Float64Array;
  /** Position inside its heap, or -1 when in none. */
  readonly pos: Int32Array;
  /** Which heap holds the server (its id), or -1. */
  readonly owner: Int32Array;
  private counter = 0;
  private readonly heaps: EbHeap[] = [];

  constructor(readonly size: number) {
    this.key = new Float64Array(size);
    this.seq = new Float64Array(size);
    this.pos = new Int32Array(size).fill(-1);
    this.owner = new Int32Array(size).fill(-1);
  }

  newHeap(): EbHeap {
    const heap = new EbHeap(this, this.heaps.length);
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

  /** Removes `s` from whichever heap holds it (eb32_delete needs no root either). */
  detach(s: number): void {
    const o = this.owner[s]!;
    if (o >= 0) this.heaps[o]!.remove(s);
  }
}

/**
 * A 4-ary heap: half the depth of a binary one, which is what a pick pays for. Each
 * position keeps its entry's order value next to it (`prios`), so a sift compares four
 * adjacent doubles instead of chasing each child's entry.
 */
export class EbHeap {
  private readonly items: Int32Array;
  /** key × SEQ_SPAN + insertion number of the entry at each position: the heap order. */
  private readonly prios: Float64Array;
  private n = 0;

  constructor(
    private readonly slots: HeapSlots,
    readonly id: number,
  ) {
    this.items = new Int32Array(slots.size);
    this.prios = new Float64Array(slots.size);
  }

  get length(): number {
    return this.n;
  }

  /** eb32_first: the smallest key, earliest inserted among equals; -1 when empty. */
  first(): number {
    return this.n > 0 ? this.items[0]! : -1;
  }

  /**
   * The entry eb32_next would give after first(). In a heap the runner-up is one of
   * the root's children, which is all a pick that skips one avoided server needs.
   */
  second(): number {
    const prios = this.prios;
    let best = -1;
    for (let c = 1; c <= 4 && c < this.n; c++) {
      if (best < 0 || prios[c]! < prios[best]!) best = c;
    }
    return best < 0 ? -1 : this.items[best]!;
  }

  insert(s: number, key: number): void {
    const sl = this.slots;
    const q = sl.stamp(s, key);
    sl.owner[s] = this.id;
    const i = this.n++;
    this.up(i, s, key * SEQ_SPAN + q);
  }

  /**
   * Gives an entry a new key in place. It then sorts after entries of equal key, as
   * after eb32_delete + eb32_insert, at the cost of one sift instead of two.
   */
  rekey(s: number, key: number): void {
    const q = this.slots.stamp(s, key);
    this.resift(this.slots.pos[s]!, s, key * SEQ_SPAN + q);
  }

  remove(s: number): void {
    const sl = this.slots;
    const i = sl.pos[s]!;
    if (i < 0 || sl.owner[s] !== this.id) return;
    const last = --this.n;
    sl.pos[s] = -1;
    sl.owner[s] = -1;
    if (last === i) return;
    this.resift(i, this.items[last]!, this.prios[last]!);
  }

  /** Recomputes every position's order value after the slots were renumbered (same order). */
  reorder(): void {
    const sl = this.slots;
    for (let i = 0; i < this.n; i++) {
      const s = this.items[i]!;
      this.prios[i] = sl.key[s]! * SEQ_SPAN + sl.seq[s]!;
    }
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
