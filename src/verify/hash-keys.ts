/**
 * Hash keys: what a hashing check varies (client address, URI, header, URL parameter),
 * generated from the seeded PRNG, and turned into what the balancer sees (PickContext) and
 * what the prober sends. One place, so the oracle and the traffic can never disagree.
 */
import type { BackendSpec } from '../lab-schema/types.js';
import type { PickContext } from '../proxy/balance/types.js';
import type { Rng } from './rng.js';

export type KeyKind = 'source' | 'uri' | 'hdr' | 'url_param';

export interface HashKey {
  /** The varying value: an address, a path, a header value, a parameter value. */
  value: string;
}

/** The address probes come from when the key is not the address. */
export const DEFAULT_SOURCE = '127.0.0.1';

export function keyKind(backend: BackendSpec): KeyKind | undefined {
  const b = backend.balance;
  return b === 'source' || b === 'uri' || b === 'hdr' || b === 'url_param' ? b : undefined;
}

function token(rng: Rng): string {
  return rng.nextUint32().toString(36).padStart(7, '0') + rng.nextUint32().toString(36).padStart(7, '0');
}

/** A random key value of this kind (addresses for `source` come from the runtime instead). */
export function randomKeyValue(kind: KeyKind, rng: Rng): string {
  if (kind === 'source') {
    const n = rng.nextUint32();
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  if (kind === 'uri') return `/k/${token(rng)}`;
  return `key-${token(rng)}`;
}

/** The request that carries the key: path, headers and source address. */
export function keyRequest(backend: BackendSpec, key: HashKey): { path: string; headers?: Record<string, string>; sourceAddress?: string } {
  switch (keyKind(backend)) {
    case 'source':
      return { path: '/', sourceAddress: key.value };
    case 'uri':
      return { path: key.value };
    case 'hdr':
      return { path: '/', headers: { [backend.balanceArg ?? 'Host']: key.value } };
    case 'url_param':
      return { path: `/?${encodeURIComponent(backend.balanceArg ?? 'id')}=${encodeURIComponent(key.value)}` };
    default:
      return { path: '/' };
  }
}

/** What the balancer sees for that request. */
export function keyContext(backend: BackendSpec, key: HashKey): PickContext {
  const req = keyRequest(backend, key);
  const headers = req.headers ?? {};
  return {
    sourceAddress: req.sourceAddress ?? DEFAULT_SOURCE,
    uri: req.path,
    header: (name: string) => {
      const found = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
      return found === undefined ? undefined : headers[found];
    },
  };
}
