/**
 * balance random draws in proportion to weight (power of N draws, repeatable with a seeded
 * generator); hash algorithms through createBalancer fall back to round-robin when a key is
 * missing; assignServerIds numbers servers as cfgparse.c does.
 */
import { describe, expect, it } from 'vitest';
import { assignServerIds } from '../../../src/proxy/balance/ids.js';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import { CTX, picks, servers, settings, tally } from './helpers.js';

/** A small deterministic generator (mulberry32) for repeatable draws. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('random (get_server_rnd on the chash ring)', () => {
  it('is repeatable with an injected generator', () => {
    const a = createBalancer(settings({ algorithm: 'random', draws: 1 }), servers([1, 2, 3]), rng(7));
    const b = createBalancer(settings({ algorithm: 'random', draws: 1 }), servers([1, 2, 3]), rng(7));
    expect(picks(a, 50)).toEqual(picks(b, 50));
  });

  it('draws in proportion to weight', () => {
    const b = createBalancer(settings({ algorithm: 'random', draws: 1 }), servers([1, 3]), rng(1));
    const t = tally(picks(b, 20000));
    expect(t.s2! / 20000).toBeGreaterThan(0.7);
    expect(t.s2! / 20000).toBeLessThan(0.8);
  });

  it('with N draws keeps the least loaded relative to weight', () => {
    const list = servers([1, 1]);
    list[0]!.activeConns = 5;
    const draws = [0.1, 0.9, 0.9, 0.1];
    let k = 0;
    const b = createBalancer(settings({ algorithm: 'random', draws: 2 }), list, () => draws[k++ % draws.length]!);
    for (let i = 0; i < 2; i++) expect(b.pick(CTX)!.name).toBe('s2');
    // With one draw the load is not looked at: both servers come up.
    const one = createBalancer(settings({ algorithm: 'random', draws: 1 }), list, rng(3));
    expect(new Set(picks(one, 50))).toEqual(new Set(['s1', 's2']));
  });

  it('answers undefined with no usable server', () => {
    const b = createBalancer(settings({ algorithm: 'random' }), servers([1], [{ up: false }]), rng(1));
    expect(b.pick(CTX)).toBeUndefined();
  });
});

describe('hash algorithms through createBalancer', () => {
  it('falls back to round-robin over the map when the header is missing', () => {
    const b = createBalancer(settings({ algorithm: 'hdr', arg: 'X-Key' }), servers([2, 1, 3]));
    const none = { sourceAddress: '1.2.3.4', header: () => undefined };
    expect(picks(b, 6, none).join(' ')).toBe('s1 s3 s1 s3 s2 s3');
  });

  it('does not hash when a single server is left: even a missing header goes to it', () => {
    const list = servers([1, 1]);
    const b = createBalancer(settings({ algorithm: 'hdr', arg: 'X-Key' }), list);
    list[0]!.up = false;
    b.update(list[0]!);
    expect(b.pick({ sourceAddress: 'x', header: () => undefined })!.name).toBe('s2');
  });

  it('sends the same source to the same server, and spreads sources by weight', () => {
    const b = createBalancer(settings({ algorithm: 'source', hashType: { method: 'consistent', fn: 'sdbm', avalanche: true } }), servers([1, 1, 2]));
    const ctxs = Array.from({ length: 4000 }, (_, i) => ({ sourceAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
    const first = ctxs.map((c) => b.pick(c)!.name);
    expect(ctxs.map((c) => b.pick(c)!.name)).toEqual(first);
    const t = tally(first);
    expect(t.s3! / 4000).toBeGreaterThan(0.4);
    expect(t.s3! / 4000).toBeLessThan(0.6);
  });

  it('an unparsable source address falls back to round-robin', () => {
    const b = createBalancer(settings({ algorithm: 'source' }), servers([1, 1]));
    expect(picks(b, 4, { sourceAddress: 'unix@' })).toEqual(['s1', 's2', 's1', 's2']);
  });

  it('answers undefined when every server is down', () => {
    const b = createBalancer(settings({ algorithm: 'uri' }), servers([1, 1], [{ up: false }, { up: false }]));
    expect(b.pick({ sourceAddress: 'x', uri: '/' })).toBeUndefined();
  });
});

describe('assignServerIds (cfgparse.c automatic puids)', () => {
  it('numbers servers in order, the counter advancing past explicit ids too', () => {
    expect(assignServerIds([undefined, undefined, undefined])).toEqual([1, 2, 3]);
    expect(assignServerIds([7, undefined, 3, undefined])).toEqual([7, 2, 3, 4]);
    expect(assignServerIds([undefined, 1, undefined])).toEqual([2, 1, 4]);
    expect(assignServerIds([2, undefined, undefined])).toEqual([2, 3, 4]);
  });
});
