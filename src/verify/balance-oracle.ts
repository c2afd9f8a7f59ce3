/**
 * The BalanceOracle made from haplab's own balancers: spec-oracles.ts wires it with
 * `balancerOracle(createBalancer)` from src/proxy/balance; taking the factory as a parameter
 * lets unit tests pass a fake one.
 */
import type { BackendSpec } from '../lab-schema/types.js';
import type { Balancer, BalanceSettings, LbServer } from '../proxy/balance/types.js';
import type { BalanceOracle } from './oracles.js';
import { keyContext, keyKind, randomKeyValue } from './hash-keys.js';
import type { Rng } from './rng.js';

export type CreateBalancer = (settings: BalanceSettings, servers: LbServer[], random?: () => number) => Balancer;

/** Picks drawn to estimate shares: standard error ≤ 0.0011 per share, negligible beside a 20 % skew. */
export const SHARE_SAMPLES = 200_000;

/** The backend's `balance`/`hash-type` lines as the balancers take them, with HAProxy's defaults. */
export function balanceSettings(backend: BackendSpec): BalanceSettings {
  const method = backend.hashType ?? 'map-based';
  return {
    algorithm: backend.balance,
    arg: backend.balance === 'hdr' || backend.balance === 'url_param' ? backend.balanceArg : undefined,
    uri: { whole: false, len: 0, depth: 0, pathOnly: false },
    useDomainOnly: false,
    // doc/configuration.txt (2.6): "consistent hash uses sdbm and avalanche if no hash
    // function is specified"; map-based defaults to sdbm without avalanche.
    hashType: { method, fn: 'sdbm', avalanche: method === 'consistent' },
    draws: backend.balance === 'random' ? Number(backend.balanceArg ?? 2) : 2,
  };
}

function lbServers(backend: BackendSpec, down: readonly string[] = []): LbServer[] {
  return backend.servers.map((s, i) => ({
    id: i + 1,
    name: s.name,
    weight: s.weight,
    backup: s.backup ?? false,
    up: !s.disabled && !down.includes(s.name),
    activeConns: 0,
  }));
}

export function balancerOracle(create: CreateBalancer): BalanceOracle {
  return {
    balancer(backend, random) {
      const servers = lbServers(backend);
      return { balancer: create(balanceSettings(backend), servers, random), servers };
    },
    sequence(backend, count) {
      const balancer = create(balanceSettings(backend), lbServers(backend));
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push(balancer.pick({ sourceAddress: '127.0.0.1', uri: '/' })?.name ?? '(none)');
      return out;
    },
    assign(backend, keys, down = []) {
      const servers = lbServers(backend);
      const balancer = create(balanceSettings(backend), servers);
      // Mark servers down after creation, through update(), as health checks do at run time.
      for (const s of servers) {
        if (down.includes(s.name)) {
          s.up = false;
          balancer.update(s);
        }
      }
      return keys.map((k) => balancer.pick(k)?.name);
    },
    shares(backend: BackendSpec, rng: Rng) {
      const balancer = create(balanceSettings(backend), lbServers(backend));
      const kind = keyKind(backend);
      const counts: Record<string, number> = {};
      for (const s of backend.servers) counts[s.name] = 0;
      for (let i = 0; i < SHARE_SAMPLES; i++) {
        const ctx = kind ? keyContext(backend, { value: randomKeyValue(kind, rng) }) : { sourceAddress: '127.0.0.1', uri: '/' };
        const name = balancer.pick(ctx)?.name;
        if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
      }
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, total ? v / total : 0]));
    },
  };
}
