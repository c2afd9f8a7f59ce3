/**
 * `balance first`: HAProxy's first-available-server (src/lb_fas.c). Usable servers
 * are kept sorted by id (puid), never by weight, and the lowest id is taken.
 *
 * HAProxy moves on to the next id once a server reaches its `maxconn`; LbServer
 * carries no maxconn, so here the lowest usable id always wins (the avoided server
 * of a redispatch excepted), which is what HAProxy does for servers without maxconn.
 */
import type { EbHeap } from './ebheap.js';
import { HeapSlots } from './ebheap-slots.js';
import { pickLowestKey } from './least-key.js';
import { Pool, BE_WEIGHT_SCALE } from './pool.js';
import type { Balancer, LbServer, PickContext } from './types.js';

/** Servers stay put, keyed by id: nothing would join a tree's run (ebheap.ts). */
const RUN_KEYS = -1;

export class FasBalancer implements Balancer {
  private readonly pool: Pool;
  private readonly slots: HeapSlots;
  private readonly act: EbHeap;
  private readonly bck: EbHeap;

  constructor(servers: readonly LbServer[]) {
    this.pool = new Pool(servers, BE_WEIGHT_SCALE, 1);
    this.slots = new HeapSlots(this.pool.n);
    this.act = this.slots.newHeap(RUN_KEYS);
    this.bck = this.slots.newHeap(RUN_KEYS);
    for (let i = 0; i < this.pool.n; i++) if (this.pool.curUsable[i]) this.queue(i);
  }

  pick(_ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    return pickLowestKey(this.pool, this.act, this.bck, avoid);
  }

  update(server: LbServer): void {
    const p = this.pool;
    const i = p.refreshChanged(server);
    if (i < 0) return;
    const oldState = p.curUsable[i] === 1;
    const newState = p.willBeUsable(i);
    p.recount();
    if (oldState) this.slots.detach(i);
    if (newState) this.queue(i);
    p.commit(i);
  }

  private queue(i: number): void {
    (this.pool.backup[i] ? this.bck : this.act).insert(i, this.pool.servers[i]!.id);
  }
}
