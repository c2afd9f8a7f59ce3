/** identify's answer: classes of fitting algorithms that share one are merged, transitively. */
import { describe, expect, it } from 'vitest';
import { mergeClasses, type IdentifiedClass } from '../../../src/verify/identify/index.js';

const cls = (...algorithms: string[]): IdentifiedClass => ({ algorithms, variants: Object.fromEntries(algorithms.map((a) => [a, `order of ${a}`])), evidence: [] });

describe('mergeClasses', () => {
  it('merges through a class that shares with two others, in any order', () => {
    for (const order of [[cls('random(1)'), cls('random(2)'), cls('random(2)', 'random(1)')], [cls('random(2)', 'random(1)'), cls('random(1)'), cls('random(2)')]]) {
      const merged = mergeClasses(order);
      expect(merged).toHaveLength(1);
      expect(merged[0]!.algorithms.sort()).toEqual(['random(1)', 'random(2)']);
    }
  });
  it('keeps apart what shares nothing', () => {
    expect(mergeClasses([cls('roundrobin', 'static-rr'), cls('random(1)')])).toHaveLength(2);
  });
});
