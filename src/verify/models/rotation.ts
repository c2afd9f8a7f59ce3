/**
 * A rotation's two measures, shared by the round-robin model, its runtime weight phase and
 * the candidates' replay: the length of its cycle and the phase the observations are at.
 */
import type { BackendSpec } from '../../lab-schema/types.js';
import { activeServers } from '../observe.js';

/** Sum of the weights of the servers that share the rotation. */
export function cycleLength(backend: BackendSpec): number {
  return activeServers(backend).reduce((s, x) => s + x.weight, 0);
}

/** The expected sequence's offset that the observations follow longest, and how far they follow it. */
export function bestPhase(expected: readonly string[], observed: readonly (string | undefined)[], offsets: number): { offset: number; matched: number } {
  let best = { offset: 0, matched: -1 };
  for (let o = 0; o < offsets; o++) {
    let m = 0;
    while (m < observed.length && observed[m] === expected[o + m]) m++;
    if (m > best.matched) best = { offset: o, matched: m };
    if (m === observed.length) break;
  }
  return best;
}

/**
 * Every offset below `offsets` from which the observations follow the expected sequence to
 * the end. A rotation's first cycle can repeat its later order from another internal state
 * (fwrr places its servers anew at start), so more than one may fit, and a prediction that
 * reaches past the order itself (a weight changed next) must hold from each of them.
 */
export function matchingPhases(expected: readonly (string | undefined)[], observed: readonly (string | undefined)[], offsets: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < offsets; o++) {
    if (observed.every((s, i) => s === expected[o + i])) out.push(o);
  }
  return out;
}
