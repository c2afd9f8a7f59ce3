/**
 * What a balancing model observed, kept in the shape a candidate can be replayed against.
 * Models attach it to their outcome (ProxyOutcome.evidence); candidates/judge.ts weighs it.
 * Three kinds of traffic separate the candidates, and a lab's schedule holds those its
 * algorithm needs (docs in each model's file say why):
 *  - sequential: one request at a time with one key — rotation order against draws;
 *  - keyed: many keys, each sent several times in shuffled rounds — key-bound against
 *    key-blind algorithms, and which hash (kind, map-based or consistent) put each key where;
 *  - loaded: closed-loop concurrent clients against servers of unequal speed — load-aware
 *    against load-blind algorithms;
 *  - weight change: a server's weight set through the runtime API between sequential
 *    requests, then restored — algorithms that take weights at run time (roundrobin) against
 *    those that compute their picks once and refuse (static-rr, map-based hashing).
 */
import type { PickContext } from '../../proxy/balance/types.js';
import type { Check } from '../report/types.js';

export interface SequentialEvidence {
  /** Each probe as the balancer saw it (path, headers, address), in send order. */
  contexts: readonly PickContext[];
  /** The server of each response in send order; undefined where none of the backend answered. */
  servers: readonly (string | undefined)[];
  /**
   * The picks may be HAProxy 2.6's, whose random balancing draws from fixed-seed streams:
   * random candidates are then searched for on those streams (haproxy-stream.ts).
   */
  haproxyStreams?: boolean;
}

export interface KeyedEvidence {
  /** Per probe, in send order: what the balancer sees, which key it carried, who answered. */
  contexts: readonly PickContext[];
  keyOf: readonly number[];
  servers: readonly (string | undefined)[];
  keys: number;
  /** Requests per key (the shuffled rounds). */
  rounds: number;
}

export interface LoadedEvidence {
  clients: number;
  context: PickContext;
  servers: readonly (string | undefined)[];
  /** How long each server takes to answer that request, from the lab's apps (ms). */
  serviceMs: Record<string, number>;
}

/**
 * A weight changed at run time, on one proxy: `before` sequential requests (where the
 * rotation stands), `set server B/S weight TO`, `during` sequential requests, the weight set
 * back to FROM, then `after` sequential requests.
 */
export interface WeightChangeEvidence {
  server: string;
  from: number;
  to: number;
  /** Whether the proxy took the change (it answered an empty line), and what it answered. */
  accepted: boolean;
  answer: string;
  /** The requests just before the change, after it, then after the restoration, in send order. */
  before: { contexts: readonly PickContext[]; servers: readonly (string | undefined)[] };
  during: { contexts: readonly PickContext[]; servers: readonly (string | undefined)[] };
  after: { contexts: readonly PickContext[]; servers: readonly (string | undefined)[] };
}

/** A model check that already compared the lab with a real alternative run beside it. */
export interface ComparisonEvidence {
  check: Check;
  /** The candidate labels (algorithm names) a passing check rules out, e.g. "random(1)". */
  rulesOut: readonly string[];
}

export interface BalanceEvidence {
  sequential?: SequentialEvidence;
  keyed?: KeyedEvidence;
  loaded?: LoadedEvidence;
  weightChange?: WeightChangeEvidence;
  comparisons?: readonly ComparisonEvidence[];
}

/** The client address the proxy saw, from the connection a response came on ("addr:port"). */
export function clientAddressOf(connection: string | undefined): string | undefined {
  if (!connection || !connection.includes(':')) return undefined;
  const host = connection.slice(0, connection.lastIndexOf(':'));
  return host.startsWith('::ffff:') ? host.slice(7) : host || undefined;
}

/** What the balancer saw for requests that all went to `path` from one client address. */
export function fixedContext(responses: readonly { connection?: string }[], path: string): PickContext {
  const address = responses.map((r) => clientAddressOf(r.connection)).find((a) => a !== undefined);
  return { sourceAddress: address ?? '127.0.0.1', uri: path };
}
