/**
 * A candidate's prediction for the probe schedule the lab really ran, from the candidate's
 * own balancer (src/proxy/balance): sequential picks replayed in send order, and concurrent
 * closed-loop traffic (C clients, each sending its next request when the last is answered)
 * played as a discrete-event simulation whose service times come from the lab's apps.
 */
import type { Balancer, LbServer, PickContext } from '../../proxy/balance/types.js';
import type { BackendSpec } from '../../lab-schema/types.js';
import type { Rng } from '../rng.js';

export interface SimBalancer {
  balancer: Balancer;
  servers: LbServer[];
}

/** A fresh balancer for a candidate backend (the balance oracle's factory). */
export type BalancerFactory = (backend: BackendSpec, random?: () => number) => SimBalancer;

function simBalancer(make: BalancerFactory, backend: BackendSpec, rng?: Rng): SimBalancer {
  return make(backend, rng ? () => rng.float() : Math.random);
}

/** Each request's server from a fresh balancer, no load: what a hash puts where. */
export function independentPicks(make: BalancerFactory, backend: BackendSpec, contexts: readonly PickContext[]): (string | undefined)[] {
  const { balancer } = simBalancer(make, backend);
  return contexts.map((ctx) => balancer.pick(ctx)?.name);
}

/** One request at a time: each pick is taken and released before the next, so every load is 0. */
export function sequentialPicks(make: BalancerFactory, backend: BackendSpec, contexts: readonly PickContext[], rng?: Rng): (string | undefined)[] {
  return replaySteps(make, backend, contexts.map((pick) => ({ pick })), rng);
}

/**
 * One step of a sequential replay: a request, or a weight set through the runtime API. A
 * request with `releaseLate` keeps its connection counted until the next weight command has
 * been applied: HAProxy frees a stream only after its response has left, so a command sent
 * the moment the answer arrives can be applied first, and leastconn then queues the two
 * servers in the other order.
 */
export type ReplayStep = { pick: PickContext; releaseLate?: boolean } | { weight: { server: string; to: number } };

/**
 * Sequential picks (as sequentialPicks) with weights changed between them, on one balancer,
 * as HAProxy's runtime API does it: the server's weight set, then the algorithm told. Only
 * the picks' servers are returned.
 */
export function replaySteps(make: BalancerFactory, backend: BackendSpec, steps: readonly ReplayStep[], rng?: Rng): (string | undefined)[] {
  const { balancer, servers } = simBalancer(make, backend, rng);
  const out: (string | undefined)[] = [];
  let held: LbServer | undefined;
  const release = () => {
    if (!held) return;
    held.activeConns--;
    balancer.released?.(held);
    held = undefined;
  };
  for (const step of steps) {
    if ('weight' in step) {
      const server = servers.find((s) => s.name === step.weight.server);
      if (server) {
        server.weight = step.weight.to;
        balancer.update(server);
      }
      release();
      continue;
    }
    release();
    const s = balancer.pick(step.pick);
    if (s) {
      s.activeConns++;
      balancer.taken?.(s);
      held = s;
      if (!step.releaseLate) release();
    }
    out.push(s?.name);
  }
  return out;
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
export function simulateClosedLoop(make: BalancerFactory, backend: BackendSpec, loop: ClosedLoop, rng?: Rng): Record<string, number> {
  const { balancer } = simBalancer(make, backend, rng);
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
