/**
 * balancerOracle maps a lab spec onto src/proxy/balance with HAProxy's defaults and answers
 * sequences, assignments with servers down, and shares.
 */
import { describe, expect, it } from 'vitest';
import type { Balancer, BalanceSettings, LbServer, PickContext } from '../../../src/proxy/balance/types.js';
import { balanceSettings, balancerOracle, SHARE_SAMPLES } from '../../../src/verify/balance-oracle.js';
import { createRng } from '../../../src/verify/rng.js';
import { spec } from './fakes.js';

/** A fake createBalancer: rotation over up servers, or the key's length mod the up servers. */
function fakeCreate(seen: BalanceSettings[]) {
  return (settings: BalanceSettings, servers: LbServer[]): Balancer => {
    seen.push(settings);
    let i = 0;
    const up = () => servers.filter((s) => s.up);
    return {
      pick(ctx: PickContext) {
        const list = up();
        if (settings.algorithm === 'roundrobin') return list[i++ % list.length];
        return list[ctx.sourceAddress.length % list.length];
      },
      update() {},
    };
  };
}

describe('balancerOracle (adapter over src/proxy/balance)', () => {
  it('maps the spec to BalanceSettings with HAProxy defaults', async () => {
    const ep07 = await spec('ep07');
    expect(balanceSettings(ep07.backends[0]!).hashType).toEqual({ method: 'consistent', fn: 'sdbm', avalanche: true });
    const ep08 = await spec('ep08');
    expect(balanceSettings(ep08.backends[0]!)).toMatchObject({ algorithm: 'random', draws: 2 });
    const ep09 = await spec('ep09');
    expect(balanceSettings(ep09.backends[0]!).hashType).toEqual({ method: 'map-based', fn: 'sdbm', avalanche: false });
  });

  it('sequence, assign with servers down, shares', async () => {
    const seen: BalanceSettings[] = [];
    const oracle = balancerOracle(fakeCreate(seen));
    const ep09 = await spec('ep09');
    expect(oracle.sequence(ep09.backends[0]!, 4)).toEqual(['server1', 'server2', 'server3', 'server1']);
    const ep07 = await spec('ep07');
    const b = ep07.backends[0]!;
    expect(oracle.assign(b, [{ sourceAddress: '1.2.3.4' }, { sourceAddress: '1.2.3.45' }], ['server3'])).toEqual(['server2', 'server1']);
    const shares = oracle.shares(b, createRng(1));
    expect(Object.values(shares).reduce((a, x) => a + x, 0)).toBeCloseTo(1, 12);
    expect(seen.length).toBe(3);
    expect(SHARE_SAMPLES).toBeGreaterThanOrEqual(100_000);
  });
});
