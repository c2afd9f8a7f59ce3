/**
 * The trees of src/proxy/balance/ebheap.ts (a sorted run plus a 4-ary heap) give first()
 * and second() exactly as a plain list ordered by (key, insertion) does — ebtree's order —
 * over random inserts, re-keys and removals on trees with and without a run, including
 * across the renumbering of insertion numbers (2^21 stamps).
 */
import { describe, expect, it } from 'vitest';
import type { EbHeap } from '../../../src/proxy/balance/ebheap.js';
import { HeapSlots } from '../../../src/proxy/balance/ebheap-slots.js';
import { seededInts as rng } from './helpers.js';


/** The reference: entries with a key and a global insertion counter, sorted on demand. */
class ReferenceTrees {
  readonly tree: number[];
  readonly key: number[];
  readonly order: number[];
  private counter = 0;

  constructor(size: number) {
    this.tree = new Array<number>(size).fill(-1);
    this.key = new Array<number>(size).fill(0);
    this.order = new Array<number>(size).fill(0);
  }

  set(s: number, tree: number, key: number): void {
    this.tree[s] = tree;
    this.key[s] = key;
    this.order[s] = this.counter++;
  }

  /** The entries of `tree`, smallest first. */
  sorted(tree: number): number[] {
    const in_ = this.tree.flatMap((t, s) => (t === tree ? [s] : []));
    return in_.sort((a, b) => this.key[a]! - this.key[b]! || this.order[a]! - this.order[b]!);
  }
}

function check(heaps: EbHeap[], ref: ReferenceTrees, step: number): void {
  heaps.forEach((h, t) => {
    const want = ref.sorted(t);
    const [first, second, length] = [want[0] ?? -1, want[1] ?? -1, want.length];
    // expect() only on a mismatch: it is slow enough to dominate millions of checks.
    if (h.first() !== first || h.second() !== second || h.length !== length) {
      expect({ first: h.first(), second: h.second(), length: h.length }, `tree ${t} after step ${step}`).toEqual({ first, second, length });
    }
  });
}

/** Runs random operations; returns how many insertion numbers were handed out. */
function run(seed: number, size: number, steps: number, checkEvery: (step: number, stamps: number) => boolean): number {
  const r = rng(seed);
  const slots = new HeapSlots(size);
  // No run, a run for key 0 only, a run for any key (roundrobin), a run for key 0 and a
  // spill run (leastconn), a spill run alone.
  const heaps = [slots.newHeap(-1), slots.newHeap(0), slots.newHeap(Infinity), slots.newHeap(0, true), slots.newHeap(-1, true)];
  const ref = new ReferenceTrees(size);
  // Small keys so that ties (insertion order) are common; growing keys so runs get used.
  let clock = 0;
  const newKey = (): number => (r(3) === 0 ? 0 : r(2) === 0 ? r(8) : ++clock % 1000);
  let stamps = 0;
  for (let step = 0; step < steps; step++) {
    const s = r(size);
    const t = slots.owner[s]!;
    const op = r(10);
    if (t < 0) {
      const into = r(heaps.length);
      const key = newKey();
      heaps[into]!.insert(s, key);
      ref.set(s, into, key);
      stamps++;
    } else if (op < 9) {
      const key = op === 0 ? ref.key[s]! : newKey();
      heaps[t]!.rekey(s, key);
      ref.set(s, t, key);
      stamps++;
    } else {
      if (r(2) === 0) heaps[t]!.remove(s);
      else slots.detach(s);
      ref.tree[s] = -1;
    }
    if (checkEvery(step, stamps)) check(heaps, ref, step);
  }
  check(heaps, ref, steps);
  return stamps;
}

describe('ebheap (eb32 order: key, then insertion)', () => {
  it.each([1, 2, 3, 4, 5])('matches a sorted list over random operations (seed %i)', (seed) => {
    run(seed, 1 + seed * 7, 4000, () => true);
  });

  it('keeps the order when insertion numbers are renumbered', () => {
    // Past 2^21 stamps, where HeapSlots renumbers the live entries; checked closely around it.
    const stamps = run(99, 40, 2_400_000, (step, n) => step % 5003 === 0 || Math.abs(n - 2 ** 21) < 20_000);
    expect(stamps).toBeGreaterThan(2 ** 21 + 10_000);
  });
});
