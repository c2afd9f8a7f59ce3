/**
 * The per-server side of ebheap.ts's trees: one HeapSlots per balancer holds each server's
 * key, insertion number and place, for all of the balancer's trees (a server sits in at most
 * one, as HAProxy's single `lb_node`), and hands out and renumbers insertion numbers.
 */
import { EbHeap, SEQ_SPAN } from './ebheap.js';

const NONE = -1;

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
   * With `spill`, a second run takes any entry that sorts after its last one: leastconn's
   * servers taking a request mostly arrive in key order, and leave from the front.
   */
  newHeap(runKeyLimit: number, spill = false): EbHeap {
    const heap = new EbHeap(this, this.heaps.length, runKeyLimit, spill);
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
