/**
 * `balance random` / `random(N)` (backend.c get_server_rnd on the lb_chash.c ring):
 * N times, a random 32-bit key is looked up on the consistent ring, so servers are
 * drawn in proportion to their weight; of the drawn servers the one with the fewest
 * in-flight requests relative to its weight is kept ("power of N choices").
 *
 * HAProxy draws from its statistical PRNG; here the generator is injected: the proxy
 * passes HAProxy 2.6's own (a fixed-seed xorshift32 per thread, statistical-prng.ts, as
 * src/proxy/runtime.ts wires it), simulations a seeded one. It returns floats in [0, 1),
 * like Math.random. Fed HAProxy's stream, this balancer picks exactly as HAProxy does,
 * loads included (test/integration/balance-parity-load.test.ts).
 */
import { ConsistentRing } from './chash.js';
import type { Balancer, LbServer, PickContext } from './types.js';

const NONE = -1;

export class RandomBalancer implements Balancer {
  private readonly ring: ConsistentRing;

  constructor(
    servers: readonly LbServer[],
    private readonly draws: number,
    private readonly random: () => number,
  ) {
    this.ring = new ConsistentRing(servers);
  }

  pick(_ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    const pool = this.ring.pool;
    if (pool.totWeight === 0) return undefined;
    const av = pool.indexOf(avoid);
    let curr = NONE;
    let draws = Math.max(1, this.draws | 0);
    do {
      const prev = curr;
      const key = Math.floor(this.random() * 0x100000000) >>> 0;
      curr = this.ring.byHash(key, av);
      if (curr === NONE) break;
      // Keep the earlier draw if the new one is busier per unit of weight.
      if (prev !== NONE && prev !== curr) {
        const c = pool.servers[curr]!.activeConns * pool.curEweight[prev]!;
        const p = pool.servers[prev]!.activeConns * pool.curEweight[curr]!;
        if (c > p) curr = prev;
      }
    } while (--draws > 0);
    return curr === NONE ? undefined : pool.servers[curr];
  }

  update(server: LbServer): void {
    this.ring.update(server);
  }
}
