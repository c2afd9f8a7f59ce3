/** The algorithm as HAProxy's `balance` line says it, for reports and candidate labels. */
import type { BackendSpec } from '../lab-schema/types.js';

export function randomAlgorithmName(backend: BackendSpec): string {
  return backend.balanceArg ? `random(${backend.balanceArg})` : 'random';
}

/** "source (consistent)", "hdr(Host) (map-based)", "url_param id (map-based)". */
export function algorithmLabel(backend: BackendSpec): string {
  const arg = backend.balance === 'hdr' ? `(${backend.balanceArg ?? ''})` : backend.balance === 'url_param' ? ` ${backend.balanceArg ?? ''}` : '';
  return `${backend.balance}${arg} (${backend.hashType ?? 'map-based'})`;
}

export function algorithmName(backend: BackendSpec): string {
  switch (backend.balance) {
    case 'random': return randomAlgorithmName(backend);
    case 'source': case 'uri': case 'hdr': case 'url_param': return algorithmLabel(backend);
    default: return backend.balance;
  }
}
