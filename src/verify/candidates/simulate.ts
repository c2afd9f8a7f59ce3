/**
 * A candidate's prediction for the probe schedule the lab really ran, from the candidate's
 * own balancer (src/proxy/balance): sequential picks replayed in send order, and concurrent
 * closed-loop traffic (C clients, each sending its next request when the last is answered)
 * played as a discrete-event simulation whose service times come from the lab's apps.
 */
import { createBalancer, type Balancer, type LbServer, type PickContext } from '../../proxy/balance/index.js';
import type { BackendSpec } from '../../spec/types.js';
import { balanceSettings, lbServers } from '../balance-oracle.js';
import type { Rng } from '../rng.js';

export interface SimBalancer {
  balancer: Balancer;
  servers: LbServer[];
}

export function simBalancer(backend: BackendSpec, rng?: Rng): SimBalancer {
  const servers = lbServers(backend);
  const balancer = createBalancer(balanceSettings(backend), servers, rng ? () => rng.float() : Math.random);
  return { balancer, servers };
}

/** One request at a time: each pick is taken and released before the next, so every load is 0. */
export function sequentialPicks(backend: BackendSpec, contexts: readonly PickContext[], rng?: Rng): (string | undefined)[] {
  const { balancer } = simBalancer(backend, rng);
  return contexts.map((ctx) => {
    const s = balancer.pick(ctx);
    if (s) {
      s.activeConns++;
      balancer.taken?.(s);
      s.activeConns--;
      balancer.released?.(s);
    }
    return s?.name;
  });
}

export interface ClosedLoop {
  clients: number;
  requests: number;
  /** The request every client sends (one key: the schedule's path from one address). */
  context: PickContext;
  /** Milliseconds a server takes to answer. */
  serviceMs(server: string): number;
}

/** Requests per server name when `loop` is played against the candidate's balancer. */
export function simulateClosedLoop(backend: BackendSpec, loop: ClosedLoop, rng?: Rng): Record<string, number> {
  const { balancer } = simBalancer(backend, rng);
  const counts: Record<string, number> = {};
  // Completions waiting, kept sorted by time (latest first, so pop() takes the earliest).
  const pending: { at: number; server?: LbServer }[] = [];
  const schedule = (at: number, server?: LbServer) => {
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.at < at) i--;
    pending.splice(i, 0, { at, server });
  };
  let sent = 0;
  const send = (now: number) => {
    if (sent >= loop.requests) return;
    sent++;
    const s = balancer.pick(loop.context);
    if (!s) {
      schedule(now + 1);
      return;
    }
    counts[s.name] = (counts[s.name] ?? 0) + 1;
    s.activeConns++;
    balancer.taken?.(s);
    schedule(now + loop.serviceMs(s.name), s);
  };
  // The clients start together, as the prober's do.
  for (let c = 0; c < Math.min(loop.clients, loop.requests); c++) send(0);
  while (pending.length) {
    const done = pending.pop()!;
    if (done.server) {
      done.server.activeConns--;
      balancer.released?.(done.server);
    }
    send(done.at);
  }
  return counts;
}
