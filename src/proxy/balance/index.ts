/**
 * Entry point of the balancing algorithms: one Balancer per backend, chosen from the
 * parsed `balance` / `hash-type` / `random draw` settings, as cfgparse.c picks the
 * lb_*.c module for a proxy.
 *
 * Servers are given in declaration order (HAProxy's server list order, which map
 * construction and backup selection depend on); `id` is HAProxy's puid, which the
 * consistent-hash points and `first` depend on.
 */
import { FasBalancer } from './first.js';
import { FwlcBalancer } from './leastconn.js';
import { FwrrBalancer } from './roundrobin.js';
import { HashBalancer } from './hash.js';
import { RandomBalancer } from './random.js';
import { StaticRrBalancer } from './static-rr.js';
import type { Balancer, BalanceSettings, LbServer } from './types.js';

export type { Balancer, BalanceSettings, LbServer, PickContext } from './types.js';

export function createBalancer(
  settings: BalanceSettings,
  servers: LbServer[],
  random: () => number = Math.random,
): Balancer {
  switch (settings.algorithm) {
    case 'roundrobin':
      return new FwrrBalancer(servers);
    case 'static-rr':
      return new StaticRrBalancer(servers);
    case 'leastconn':
      return new FwlcBalancer(servers);
    case 'first':
      return new FasBalancer(servers);
    case 'random':
      return new RandomBalancer(servers, settings.draws, random);
    case 'source':
    case 'uri':
    case 'url_param':
    case 'hdr':
      return new HashBalancer(settings, servers);
  }
}

/**
 * Whether HAProxy 2.6 computes the backend's picks once, at start (cfgparse.c leaves
 * BE_LB_PROP_DYN unset for static-rr and map-based hashing): such a backend refuses a
 * weight changed at run time other than 0 or the initial one.
 */
export function isStaticBalance(settings: BalanceSettings): boolean {
  if (settings.algorithm === 'static-rr') return true;
  const hashed = settings.algorithm === 'source' || settings.algorithm === 'uri' || settings.algorithm === 'url_param' || settings.algorithm === 'hdr';
  return hashed && settings.hashType.method === 'map-based';
}
