import { xorshift32 } from '../../../src/proxy/balance/statistical-prng.js';
import type { BalanceSettings, LbServer, PickContext } from '../../../src/proxy/balance/types.js';

export function servers(weights: number[], extra: Partial<LbServer>[] = []): LbServer[] {
  return weights.map((weight, i) => ({
    id: i + 1,
    name: `s${i + 1}`,
    weight,
    backup: false,
    up: true,
    activeConns: 0,
    ...extra[i],
  }));
}

export function settings(partial: Partial<BalanceSettings> & Pick<BalanceSettings, 'algorithm'>): BalanceSettings {
  return { hashType: { method: 'map-based', fn: 'sdbm', avalanche: false }, draws: 2, ...partial };
}

export const CTX: PickContext = { sourceAddress: '127.0.0.1' };

/** Names of `count` successive picks. */
export function picks(b: { pick(ctx: PickContext): LbServer | undefined }, count: number, ctx: PickContext = CTX): string[] {
  return Array.from({ length: count }, () => b.pick(ctx)?.name ?? '-');
}

export function tally(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

/** Integers below n from a seeded xorshift32, so that a failing random sequence replays. */
export function seededInts(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => (x = xorshift32(x)) % n;
}
