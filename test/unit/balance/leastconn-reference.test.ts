/**
 * leastconn (src/proxy/balance/leastconn.ts, on the trees of ebheap.ts) picks exactly as a
 * plain model of lb_fwlc.c kept here: every usable server has a key ((in-flight + 1) × 4096
 * / eweight, 0 when idle) and an insertion number that is renewed only when its key
 * changes; the pick is the smallest (key, number) of the active servers — else the first
 * usable backup — skipping the avoided server when another is there. Random sequences of
 * picks, takes, releases, weight changes and servers going up and down.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import type { LbServer } from '../../../src/proxy/balance/types.js';
import { CTX, seededInts as rng, settings } from './helpers.js';


class ReferenceLeastconn {
  private readonly usable: boolean[];
  private readonly eweight: number[];
  private readonly queued: boolean[];
  private readonly key: number[];
  private readonly order: number[];
  private counter = 0;

  constructor(private readonly list: LbServer[]) {
    this.usable = list.map((s) => this.willBeUsable(s));
    this.eweight = list.map((s) => this.nextEweight(s));
    this.queued = list.map(() => false);
    this.key = list.map(() => 0);
    this.order = list.map(() => 0);
    list.forEach((_, i) => {
      if (this.usable[i]) this.queue(i, this.eweight[i]!);
    });
  }

  pick(avoid: number): number {
    const actives = this.list.flatMap((s, i) => (this.usable[i] && !s.backup ? [i] : []));
    const backups = this.list.flatMap((s, i) => (this.usable[i] && s.backup ? [i] : []));
    let tree: number[];
    if (actives.length) tree = actives;
    else if (backups.length) return backups[0]!; // the first usable backup takes everything
    else return -1;
    tree.sort((a, b) => this.key[a]! - this.key[b]! || this.order[a]! - this.order[b]!);
    return tree[0] === avoid && tree.length > 1 ? tree[1]! : tree[0]!;
  }

  /** taken() and released(): a new place only if the key changed. */
  moved(i: number): void {
    if (!this.usable[i]) return;
    const k = this.keyOf(i, this.eweight[i]!);
    if (k !== this.key[i]) this.queue(i, this.eweight[i]!);
  }

  update(i: number): void {
    const s = this.list[i]!;
    const usable = this.willBeUsable(s);
    const ew = this.nextEweight(s);
    if (usable === this.usable[i] && ew === this.eweight[i]) return;
    this.queued[i] = false;
    if (usable) this.queue(i, ew);
    this.usable[i] = usable;
    this.eweight[i] = ew;
  }

  private queue(i: number, ew: number): void {
    this.queued[i] = true;
    this.key[i] = this.keyOf(i, ew);
    this.order[i] = this.counter++;
  }

  private keyOf(i: number, ew: number): number {
    const conns = Math.max(0, this.list[i]!.activeConns);
    return conns ? Math.floor(((conns + 1) * 4096) / (ew || 1)) : 0;
  }

  private nextEweight(s: LbServer): number {
    return Math.max(0, Math.min(256, Math.floor(s.weight))) * 16;
  }

  private willBeUsable(s: LbServer): boolean {
    return s.up && this.nextEweight(s) > 0;
  }
}

describe('leastconn against a plain model of lb_fwlc.c', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('picks the same over random sequences (seed %i)', (seed) => {
    const r = rng(seed);
    const n = 1 + r(24);
    const list: LbServer[] = Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      name: `s${i + 1}`,
      weight: r(8) === 0 ? 0 : r(4) === 0 ? 1 + r(256) : 1 + r(3),
      backup: r(5) === 0,
      up: r(8) !== 0,
      activeConns: 0,
    }));
    const b = createBalancer(settings({ algorithm: 'leastconn' }), list);
    const ref = new ReferenceLeastconn(list);
    const held: number[] = [];
    for (let step = 0; step < 3000; step++) {
      const op = r(20);
      if (op < 10) {
        const avoid = r(6) === 0 ? r(n) : -1;
        const got = b.pick(CTX, avoid >= 0 ? list[avoid] : undefined);
        const want = ref.pick(avoid);
        expect(got ? list.indexOf(got) : -1, `step ${step}`).toBe(want);
        if (want >= 0 && r(4) !== 0) {
          list[want]!.activeConns++;
          b.taken?.(list[want]!);
          ref.moved(want);
          held.push(want);
        }
      } else if (op < 18) {
        if (held.length === 0) continue;
        const i = held.splice(r(held.length), 1)[0]!;
        list[i]!.activeConns--;
        b.released?.(list[i]!);
        ref.moved(i);
      } else {
        const i = r(n);
        if (r(2) === 0) list[i]!.up = !list[i]!.up;
        else list[i]!.weight = r(4) === 0 ? 0 : 1 + r(5);
        b.update(list[i]!);
        ref.update(i);
      }
    }
  });
});
