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
  /** key × SEQ_SPAN + seq: the heap order. */
  readonly prio: Float64Array;
  /** Position inside its heap, or -1 when in none. */
  readonly pos: Int32Array;
  /** Which heap holds the server (its id), or -1. */
  readonly owner: Int32Array;
  private counter = 0;
  private heaps = 0;

  constructor(readonly size: number) {
    this.key = new Float64Array(size);
    this.seq = new Float64Array(size);
    this.prio = new Float64Array(size);
    this.pos = new Int32Array(size).fill(-1);
    this.owner = new Int32Array(size).fill(-1);
  }

  newHeap(): EbHeap {
    return new EbHeap(this, this.heaps++);
  }

  /** Sets an entry's key with a fresh insertion number. */
  stamp(s: number, key: number): void {
    if (this.counter >= SEQ_SPAN) this.renumber();
    const q = this.counter++;
    this.key[s] = key;
    this.seq[s] = q;
    this.prio[s] = key * SEQ_SPAN + q;
  }

  private renumber(): void {
    const live: number[] = [];
    for (let s = 0; s < this.size; s++) if (this.owner[s]! >= 0) live.push(s);
    live.sort((a, b) => this.seq[a]! - this.seq[b]!);
    live.forEach((s, q) => {
      this.seq[s] = q;
      this.prio[s] = this.key[s]! * SEQ_SPAN + q;
    });
    this.counter = live.length;
  }

  /** Removes `s` from whichever heap holds it (eb32_delete needs no root either). */
  detach(s: number, heaps: readonly EbHeap[]): void {
    const o = this.owner[s]!;
    if (o >= 0) heaps[o]!.remove(s);
  }
}

/** A 4-ary heap: half the depth of a binary one, which is what a pick pays for. */
export class EbHeap {
  private readonly items: Int32Array;
  private n = 0;

  constructor(
    private readonly slots: HeapSlots,
    readonly id: number,
  ) {
    this.items = new Int32Array(slots.size);
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
    const prio = this.slots.prio;
    let best = -1;
    for (let c = 1; c <= 4 && c < this.n; c++) {
      const s = this.items[c]!;
      if (best < 0 || prio[s]! < prio[best]!) best = s;
    }
    return best;
  }

  insert(s: number, key: number): void {
    const sl = this.slots;
    sl.stamp(s, key);
    sl.owner[s] = this.id;
    const i = this.n++;
    this.items[i] = s;
    sl.pos[s] = i;
    this.up(i);
  }

  /**
   * Gives an entry a new key in place. It then sorts after entries of equal key, as
   * after eb32_delete + eb32_insert, at the cost of one sift instead of two.
   */
  rekey(s: number, key: number): void {
    this.slots.stamp(s, key);
    this.resift(this.slots.pos[s]!);
  }

  remove(s: number): void {
    const sl = this.slots;
    const i = sl.pos[s]!;
    if (i < 0 || sl.owner[s] !== this.id) return;
    const last = this.items[--this.n]!;
    sl.pos[s] = -1;
    sl.owner[s] = -1;
    if (last === s) return;
    this.items[i] = last;
    sl.pos[last] = i;
    this.resift(i);
  }

  private resift(i: number): void {
    const prio = this.slots.prio;
    if (i > 0 && prio[this.items[i]!]! < prio[this.items[(i - 1) >> 2]!]!) this.up(i);
    else this.down(i);
  }

  private up(i: number): void {
    const it = this.items;
    const pos = this.slots.pos;
    const prio = this.slots.prio;
    const s = it[i]!;
    const ps = prio[s]!;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const q = it[p]!;
      if (ps >= prio[q]!) break;
      it[i] = q;
      pos[q] = i;
      i = p;
    }
    it[i] = s;
    pos[s] = i;
  }

  private down(i: number): void {
    const it = this.items;
    const pos = this.slots.pos;
    const prio = this.slots.prio;
    const n = this.n;
    const s = it[i]!;
    const ps = prio[s]!;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      const last = Math.min(first + 4, n);
      let c = first;
      let pc = prio[it[c]!]!;
      for (let k = first + 1; k < last; k++) {
        const pk = prio[it[k]!]!;
        if (pk < pc) {
          c = k;
          pc = pk;
        }
      }
      if (pc >= ps) break;
      const cs = it[c]!;
      it[i] = cs;
      pos[cs] = i;
      i = c;
    }
    it[i] = s;
    pos[s] = i;
  }
}
