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
 */

export class HeapSlots {
  readonly key: Float64Array;
  readonly seq: Float64Array;
  /** Position inside its heap, or -1 when in none. */
  readonly pos: Int32Array;
  /** Which heap holds the server (its id), or -1. */
  readonly owner: Int32Array;
  private counter = 0;
  private heaps = 0;

  constructor(readonly size: number) {
    this.key = new Float64Array(size);
    this.seq = new Float64Array(size);
    this.pos = new Int32Array(size).fill(-1);
    this.owner = new Int32Array(size).fill(-1);
  }

  newHeap(): EbHeap {
    return new EbHeap(this, this.heaps++);
  }

  nextSeq(): number {
    return this.counter++;
  }

  /** Removes `s` from whichever heap holds it (eb32_delete needs no root either). */
  detach(s: number, heaps: readonly EbHeap[]): void {
    const o = this.owner[s]!;
    if (o >= 0) heaps[o]!.remove(s);
  }
}

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
   * the root's two children, which is all a pick that skips one avoided server needs.
   */
  second(): number {
    if (this.n < 2) return -1;
    if (this.n === 2) return this.items[1]!;
    const a = this.items[1]!;
    const b = this.items[2]!;
    return this.less(a, b) ? a : b;
  }

  insert(s: number, key: number): void {
    const sl = this.slots;
    sl.key[s] = key;
    sl.seq[s] = sl.nextSeq();
    sl.owner[s] = this.id;
    const i = this.n++;
    this.items[i] = s;
    sl.pos[s] = i;
    this.up(i);
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
    if (i > 0 && this.less(last, this.items[(i - 1) >> 1]!)) this.up(i);
    else this.down(i);
  }

  /** Moves every entry of `this` into a state where it is empty (used when HAProxy re-inits). */
  clear(): void {
    for (let i = 0; i < this.n; i++) {
      const s = this.items[i]!;
      this.slots.pos[s] = -1;
      this.slots.owner[s] = -1;
    }
    this.n = 0;
  }

  private less(a: number, b: number): boolean {
    const k = this.slots.key;
    const ka = k[a]!;
    const kb = k[b]!;
    return ka < kb || (ka === kb && this.slots.seq[a]! < this.slots.seq[b]!);
  }

  private up(i: number): void {
    const it = this.items;
    const pos = this.slots.pos;
    const s = it[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = it[p]!;
      if (!this.less(s, ps)) break;
      it[i] = ps;
      pos[ps] = i;
      i = p;
    }
    it[i] = s;
    pos[s] = i;
  }

  private down(i: number): void {
    const it = this.items;
    const pos = this.slots.pos;
    const n = this.n;
    const s = it[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(it[c + 1]!, it[c]!)) c++;
      const cs = it[c]!;
      if (!this.less(cs, s)) break;
      it[i] = cs;
      pos[cs] = i;
      i = c;
    }
    it[i] = s;
    pos[s] = i;
  }
}
