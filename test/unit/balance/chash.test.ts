/**
 * The consistent-hash ring matches HAProxy's lb_chash.c: points keyed full_hash(puid × 4096 + j),
 * ties and wrap-around, only a downed server's keys moving, weight changes, the avoided server
 * skipped, the round-robin walk and the backup fallback.
 */
import { describe, expect, it } from 'vitest';
import { ConsistentRing } from '../../../src/proxy/balance/chash.js';
import { fullHash } from '../../../src/proxy/balance/hash-functions.js';
import { servers } from './helpers.js';

/** All points of a ring setup, sorted, as HAProxy computes them. */
function points(list: { id: number; weight: number; up: boolean }[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  list.forEach((s, i) => {
    if (!s.up || !s.weight) return;
    for (let j = 0; j < s.weight * 16; j++) out.push([fullHash(s.id * 4096 + j), i]);
  });
  return out.sort((a, b) => a[0] - b[0]);
}

/** The reference rule: nearest point, the lower one on a tie, around the ring. */
function nearest(pts: Array<[number, number]>, h: number): number {
  let best = -1;
  let bestD = Infinity;
  for (const [k, s] of pts) {
    const d = Math.min((h - k) >>> 0, (k - h) >>> 0);
    const below = ((h - k) >>> 0) <= ((k - h) >>> 0);
    if (d < bestD || (d === bestD && below)) {
      best = s;
      bestD = d;
    }
  }
  return best;
}

describe('consistent hash ring (lb_chash.c)', () => {
  it('sends a key to the server of the nearest point, keyed full_hash(puid × 4096 + j)', () => {
    const list = servers([1, 3, 2], [{ id: 4 }, {}, { id: 9 }]);
    const ring = new ConsistentRing(list);
    const pts = points(list);
    expect(pts).toHaveLength(96);
    for (let t = 0; t < 2000; t++) {
      const h = fullHash(t * 7919);
      expect(ring.byHash(h, -1)).toBe(nearest(pts, h));
    }
  });

  it('picks the lower point on an exact tie and wraps around both ends', () => {
    const list = servers([1, 1]);
    const ring = new ConsistentRing(list);
    const pts = points(list);
    const [lo, hi] = [pts[0]!, pts.at(-1)!];
    // Keys beyond the last point or before the first go to whichever end is nearer.
    expect(ring.byHash(0, -1)).toBe(nearest(pts, 0));
    expect(ring.byHash(0xffffffff, -1)).toBe(nearest(pts, 0xffffffff));
    // A key exactly between two adjacent points goes to the lower one.
    const [a, b] = [pts[3]!, pts[4]!];
    if ((b[0] - a[0]) % 2 === 0) expect(ring.byHash(a[0] + (b[0] - a[0]) / 2, -1)).toBe(a[1]);
    const mid = (lo[0] + (0x100000000 - hi[0])) / 2;
    if (Number.isInteger(mid)) expect(ring.byHash((hi[0] + mid) >>> 0, -1)).toBe(hi[1]);
    expect(ring.byHash(lo[0], -1)).toBe(lo[1]);
  });

  it('moves only the keys of a server that goes down, and brings them back', () => {
    const list = servers([2, 3, 1, 4, 2]);
    const ring = new ConsistentRing(list);
    const keys = Array.from({ length: 3000 }, (_, i) => fullHash(i));
    const before = keys.map((h) => ring.byHash(h, -1));
    list[3]!.up = false;
    ring.update(list[3]!);
    const during = keys.map((h) => ring.byHash(h, -1));
    keys.forEach((_, i) => {
      if (before[i] !== 3) expect(during[i]).toBe(before[i]);
      else expect(during[i]).not.toBe(3);
    });
    list[3]!.up = true;
    ring.update(list[3]!);
    expect(keys.map((h) => ring.byHash(h, -1))).toEqual(before);
  });

  it('adds and removes points when the weight changes, as if configured so', () => {
    const list = servers([2, 3, 4]);
    const ring = new ConsistentRing(list);
    list[1]!.weight = 1;
    ring.update(list[1]!);
    list[2]!.weight = 9;
    ring.update(list[2]!);
    const pts = points(list);
    for (let t = 0; t < 500; t++) expect(ring.byHash(fullHash(t), -1)).toBe(nearest(pts, fullHash(t)));
  });

  it('steps forward past the avoided server', () => {
    const list = servers([1, 1, 1]);
    const ring = new ConsistentRing(list);
    for (let t = 0; t < 200; t++) {
      const h = fullHash(t);
      const first = ring.byHash(h, -1);
      const other = ring.byHash(h, first);
      expect(other).not.toBe(first);
      expect(other).toBeGreaterThanOrEqual(0);
    }
    const one = servers([2]);
    expect(new ConsistentRing(one).byHash(123, 0)).toBe(0);
  });

  it('walks the ring point by point for the round-robin fallback', () => {
    const list = servers([1, 2]);
    const ring = new ConsistentRing(list);
    const pts = points(list);
    const walk = Array.from({ length: pts.length + 2 }, () => ring.next(-1));
    expect(walk).toEqual([...pts.map((p) => p[1]), pts[0]![1], pts[1]![1]]);
  });

  it('hands everything to the first usable backup when no active is up', () => {
    const list = servers([1, 1, 1], [{ up: false }, { backup: true }, { backup: true }]);
    const ring = new ConsistentRing(list);
    for (let t = 0; t < 50; t++) expect(ring.byHash(fullHash(t), -1)).toBe(1);
    expect(ring.next(-1)).toBe(1);
  });
});
