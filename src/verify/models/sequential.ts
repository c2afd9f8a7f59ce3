/**
 * The probes of sequential traffic (round robin's rotation, random's draws). Each request
 * carries a key of every kind a hash could read — its own `?id=` parameter and Host header —
 * while the algorithms under test ignore them: a rotation or a draw is the same whatever the
 * keys, but a hash of any of them would spread by key, so hash candidates are told apart from
 * the rotation by this very traffic (candidates/).
 */
import type { PickContext } from '../../proxy/balance/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { clientAddressOf } from '../candidates/evidence.js';
import { DEFAULT_URL_PARAM } from '../candidates/generate.js';
import type { Rng } from '../rng.js';
import type { Probe } from './types.js';

export function sequentialProbes(count: number, rng: Rng): Probe[] {
  return Array.from({ length: count }, () => {
    const key = rng.nextUint32().toString(36);
    return { method: 'GET', path: `/?${DEFAULT_URL_PARAM}=${key}`, headers: { Host: `k${key}.haplab.test` }, connection: 'fresh' as const };
  });
}

/** What the balancer saw for each probe: its path, its headers, the address it came from. */
export function probeContexts(probes: readonly Probe[], responses: readonly ProbeResponse[]): PickContext[] {
  const fallback = responses.map((r) => clientAddressOf(r.connection)).find((a) => a !== undefined) ?? '127.0.0.1';
  return probes.map((p, i) => {
    const headers = p.headers ?? {};
    return {
      sourceAddress: clientAddressOf(responses[i]?.connection) ?? fallback,
      uri: p.path,
      header: (name: string) => Object.entries(headers).find(([h]) => h.toLowerCase() === name.toLowerCase())?.[1],
    };
  });
}
