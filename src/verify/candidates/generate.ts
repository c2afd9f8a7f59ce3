/**
 * The candidates a backend's observations are judged against: every algorithm haplab's
 * proxy implements (map-based and consistent where hashing applies), with the lab's weights
 * and with equal weights, and the configured algorithm with any one server missing. Each
 * candidate is the lab's backend rewritten — a BackendSpec — so that its predictions come
 * from the same balancers (src/proxy/balance, proven pick-for-pick identical to HAProxy 2.6)
 * through the same balance oracle as the configured one, never from a formula of its own.
 */
import type { BackendSpec, Mode, ServerSpec } from '../../lab-schema/types.js';
import { activeServers } from '../observe.js';
import { algorithmName } from '../algorithm-name.js';

export type CandidateKind = 'configured' | 'algorithm' | 'weights' | 'server-missing';

export interface Candidate {
  /** Unique and readable: "roundrobin", "source (consistent) with equal weights", "random(2) without server3". */
  label: string;
  kind: CandidateKind;
  backend: BackendSpec;
}

/** The header hdr() candidates hash when the lab's backend names none. */
export const DEFAULT_HASH_HEADER = 'Host';
/** The parameter url_param candidates hash when the lab's backend names none. */
export const DEFAULT_URL_PARAM = 'id';

type Shape = Pick<BackendSpec, 'balance' | 'balanceArg' | 'hashType'>;

/** Every algorithm shape haplab implements, for a frontend of this mode. */
export function algorithmShapes(configured: BackendSpec, mode: Mode): Shape[] {
  const draws = configured.balance === 'random' ? Number(configured.balanceArg ?? 2) : 2;
  const shapes: Shape[] = [
    { balance: 'roundrobin' },
    { balance: 'static-rr' },
    { balance: 'leastconn' },
    { balance: 'first' },
    { balance: 'random', balanceArg: '1' },
    { balance: 'random', balanceArg: String(Math.max(2, draws)) },
  ];
  const hashes: Shape[] = [{ balance: 'source' }];
  // L7 keys exist only in mode http (HAProxy falls back to round robin for them in mode tcp).
  if (mode === 'http') {
    hashes.push(
      { balance: 'uri' },
      { balance: 'hdr', balanceArg: configured.balance === 'hdr' ? configured.balanceArg : DEFAULT_HASH_HEADER },
      { balance: 'url_param', balanceArg: configured.balance === 'url_param' ? configured.balanceArg : DEFAULT_URL_PARAM },
    );
  }
  for (const h of hashes) for (const hashType of ['map-based', 'consistent'] as const) shapes.push({ ...h, hashType });
  return shapes;
}

function sameShape(a: Shape, b: Shape): boolean {
  const hashType = (s: Shape) => (['source', 'uri', 'hdr', 'url_param'].includes(s.balance) ? s.hashType ?? 'map-based' : undefined);
  const arg = (s: Shape) => (s.balance === 'random' ? s.balanceArg ?? '2' : s.balance === 'hdr' ? (s.balanceArg ?? '').toLowerCase() : s.balanceArg);
  return a.balance === b.balance && arg(a) === arg(b) && hashType(a) === hashType(b);
}

function withShape(backend: BackendSpec, shape: Shape): BackendSpec {
  const out: BackendSpec = { ...backend, balance: shape.balance, servers: backend.servers };
  delete out.balanceArg;
  delete out.hashType;
  if (shape.balanceArg !== undefined) out.balanceArg = shape.balanceArg;
  if (shape.hashType !== undefined) out.hashType = shape.hashType;
  return out;
}

function equalWeights(servers: readonly ServerSpec[]): ServerSpec[] {
  return servers.map((s) => (s.weight > 0 ? { ...s, weight: 1 } : s));
}

function weightsDiffer(backend: BackendSpec): boolean {
  return new Set(activeServers(backend).map((s) => s.weight)).size > 1;
}

/**
 * The candidate set, the configured one first. `mode` is the frontend's: a TCP frontend
 * has no L7 keys to hash.
 */
export function candidatesFor(configured: BackendSpec, mode: Mode): Candidate[] {
  const out: Candidate[] = [{ label: `${algorithmName(configured)} (configured)`, kind: 'configured', backend: configured }];
  const equal = weightsDiffer(configured) ? { ...configured, servers: equalWeights(configured.servers) } : undefined;
  for (const shape of algorithmShapes(configured, mode)) {
    const isConfigured = sameShape(shape, configured);
    if (!isConfigured) {
      const b = withShape(configured, shape);
      out.push({ label: algorithmName(b), kind: 'algorithm', backend: b });
    }
    if (equal) {
      const b = withShape(equal, shape);
      out.push({ label: `${algorithmName(b)} with equal weights`, kind: isConfigured ? 'weights' : 'algorithm', backend: b });
    }
  }
  const active = activeServers(configured);
  if (active.length >= 2) {
    for (const gone of active) {
      out.push({
        label: `${algorithmName(configured)} without ${gone.name}`,
        kind: 'server-missing',
        backend: { ...configured, servers: configured.servers.filter((s) => s !== gone) },
      });
    }
  }
  return out;
}
