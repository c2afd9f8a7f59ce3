/**
 * The consistent ring's one-read index (Ring.ownerOf) never disagrees with the nearest-point
 * rule it shortcuts: over random rings — few or many points, equal keys, keys at slice
 * edges and at both ends of the key space — a slice that names an owner gives every key in
 * it to that server.
 */
import { describe, expect, it } from 'vitest';
import { Ring } from '../../../src/proxy/balance/chash-ring.js';

/**
 * The full lookup, by a linear scan: the first point at or above k (around the ring) and the
 * one before it; the nearer wins, the one below on a tie. Among equal keys that makes the last
 * one below and the first one at or above, as chash_get_server_hash's eb32 walk does.
 */
function nearest(keys: readonly number[], srv: readonly number[], k: number): number {
  let next = keys.findIndex((key) => key >= k);
  if (next < 0) next = 0;
  const prev = next === 0 ? keys.length - 1 : next - 1;
  return ((k - keys[prev]!) >>> 0) <= ((keys[next]! - k) >>> 0) ? srv[prev]! : srv[next]!;
}

describe('consistent ring owners index', () => {
  it('agrees with the nearest point wherever it names an owner', () => {
    let seed = 5;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.floor(((seed >>> 0) / 2 ** 32) * n);
    };
    const u32 = (): number => ((rand(65536) << 16) | rand(65536)) >>> 0;
    for (let t = 0; t < 300; t++) {
      const count = 1 + rand(t < 150 ? 12 : 400);
      const servers = 1 + rand(6);
      const keys: number[] = [];
      for (let i = 0; i < count; i++) {
        const pick = rand(6);
        // Edges: 0, the top, and slice boundaries of a few widths.
        keys.push(pick === 0 ? 0 : pick === 1 ? 0xffffffff : pick === 2 ? (rand(64) * 2 ** 26) >>> 0 : pick === 3 && keys.length ? keys[rand(keys.length)]! : u32());
      }
      keys.sort((a, b) => a - b);
      // Every third ring numbers its servers around 32767, past which owners stores none.
      const base = t % 3 === 0 ? 32764 : 0;
      const srv = keys.map(() => base + rand(servers));
      const ring = new Ring();
      ring.keys = Uint32Array.from(keys);
      ring.srv = Int32Array.from(srv);
      ring.node = new Int32Array(keys.length);
      ring.length = keys.length;
      ring.reindex();
      const probes = [0, 0xffffffff, ...keys, ...keys.map((k) => (k + 1) >>> 0), ...keys.map((k) => (k - 1) >>> 0)];
      for (let p = 0; p < 300; p++) probes.push(u32(), (rand(1 << 17) * 2 ** 15) >>> 0, ((rand(1 << 17) + 1) * 2 ** 15 - 1) >>> 0);
      for (const k of probes) {
        const owner = ring.ownerOf(k);
        if (owner >= 0) expect(owner, `ring ${t} key ${k}`).toBe(nearest(keys, srv, k));
      }
    }
  });
});
