/**
 * `balance static-rr` (lb_map.c map_get_server_rr): walks the static server map one
 * slot per pick. The map spreads each server's slots smoothly (see map.ts), so the
 * order differs from roundrobin's, and weight changes need a rebuild.
 */
import { ServerMap } from './map.js';
import type { Balancer, LbServer, PickContext } from './types.js';

export class StaticRrBalancer implements Balancer {
  private readonly map: ServerMap;

  constructor(servers: readonly LbServer[]) {
    this.map = new ServerMap(servers);
  }

  pick(_ctx: PickContext, avoid?: LbServer): LbServer | undefined {
    const pool = this.map.pool;
    const i = this.map.roundRobin(pool.indexOf(avoid));
    return i < 0 ? undefined : pool.servers[i];
  }

  update(server: LbServer): void {
    this.map.update(server);
  }
}
