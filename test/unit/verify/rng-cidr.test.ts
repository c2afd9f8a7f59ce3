/**
 * The seeded PRNG (xoshiro128**) repeats for a seed, draws uniformly and forks independent streams;
 * CIDR containment finds a block of the lab subnet outside the rule ranges.
 */
import { describe, expect, it } from 'vitest';
import { blockOutside, cidrContains, formatCidr, parseCidr } from '../../../src/verify/cidr.js';
import { createRng } from '../../../src/verify/rng.js';
import { chiSquareTest } from '../../../src/verify/statistics.js';

describe('seeded PRNG (xoshiro128**)', () => {
  it('repeats exactly for a seed; "42" and 42 are one seed; seeds differ', () => {
    const a = createRng(42);
    const b = createRng('42');
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(createRng(43).nextUint32()).not.toBe(xs[0]);
  });
  it('int(n) is uniform (χ² over 60 000 draws), float in [0, 1)', () => {
    const rng = createRng('uniform');
    const counts = Array(6).fill(0) as number[];
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]!++;
    expect(chiSquareTest(counts, Array(6).fill(1)).pValue).toBeGreaterThan(0.001);
    for (let i = 0; i < 1000; i++) { const f = rng.float(); expect(f >= 0 && f < 1).toBe(true); }
  });
  it('shuffle permutes; fork gives an independent, repeatable stream', () => {
    const rng = createRng(1);
    expect(rng.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(createRng(1).fork('x').nextUint32()).toBe(createRng(1).fork('x').nextUint32());
  });
});

describe('CIDR', () => {
  it('contains, and finds a block of the lab subnet outside the rule ranges', () => {
    const subnet = parseCidr('192.168.0.0/20')!;
    const rules = ['192.168.1.0/24', '192.168.10.0/24'].map((c) => parseCidr(c)!);
    expect(cidrContains(rules[0]!, '192.168.1.77')).toBe(true);
    expect(cidrContains(rules[0]!, '192.168.2.1')).toBe(false);
    expect(formatCidr(blockOutside(subnet, rules)!)).toBe('192.168.0.0/24');
    expect(formatCidr(blockOutside(subnet, [parseCidr('192.168.0.0/24')!])!)).toBe('192.168.1.0/24');
    expect(blockOutside(parseCidr('10.0.0.0/24')!, [parseCidr('10.0.0.0/16')!])).toBeUndefined();
  });
});
