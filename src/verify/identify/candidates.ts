/**
 * Candidates for a balancer haplab did not configure: the servers are only the names that
 * answered, in an unknown declaration order with unknown weights. Order and weights change
 * what HAProxy's algorithms pick (fwrr's sequence, the map table, the ring's points), so each
 * algorithm is tried over every order of the servers (up to MAX_ORDERED servers) and over
 * equal weights and the weights the counts suggest.
 */
import type { BackendSpec, ServerSpec } from '../../lab-schema/types.js';
import { algorithmShapes } from '../candidates/generate.js';
import { algorithmName } from '../algorithm-name.js';

/** Beyond this many servers only the order of first answers is tried (n! grows fast). */
export const MAX_ORDERED = 5;

export interface IdentifyCandidate {
  /** The algorithm as HAProxy spells it: what is reported and ranked. */
  algorithm: string;
  backend: BackendSpec;
  /** "app1 app3 app2, weights 2 1 3". */
  variant: string;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/**
 * Small-integer weights proportional to the counts (a rotation's counts are exact multiples
 * of its weights), or undefined when the counts are alike or not near small integers.
 */
export function suggestedWeights(counts: Record<string, number>): Record<string, number> | undefined {
  const values = Object.values(counts).filter((c) => c > 0);
  if (values.length < 2) return undefined;
  const least = Math.min(...values);
  const ratios = Object.fromEntries(Object.entries(counts).map(([s, c]) => [s, c / least]));
  const rounded = Object.fromEntries(Object.entries(ratios).map(([s, r]) => [s, Math.max(1, Math.round(r))]));
  const near = Object.entries(ratios).every(([s, r]) => Math.abs(r - rounded[s]!) < 0.15 * rounded[s]!);
  const alike = new Set(Object.values(rounded)).size === 1;
  return near && !alike ? rounded : undefined;
}

export function identifyCandidates(servers: readonly string[], counts: Record<string, number>): IdentifyCandidate[] {
  const weightings: Record<string, number>[] = [Object.fromEntries(servers.map((s) => [s, 1]))];
  const suggested = suggestedWeights(counts);
  if (suggested) weightings.push(suggested);
  const orders = servers.length <= MAX_ORDERED ? permutations(servers) : [servers.slice()];
  const template: BackendSpec = { name: 'observed', balance: 'roundrobin', servers: [] };
  const out: IdentifyCandidate[] = [];
  for (const weights of weightings) {
    for (const order of orders) {
      const list: ServerSpec[] = order.map((name) => ({ name, app: name, weight: weights[name] ?? 1, check: false }));
      for (const shape of algorithmShapes(template, 'http')) {
        const backend: BackendSpec = { ...template, ...shape, servers: list };
        out.push({ algorithm: algorithmName(backend), backend, variant: `${order.join(' ')}, weights ${order.map((n) => weights[n] ?? 1).join(' ')}` });
      }
    }
  }
  return out;
}
