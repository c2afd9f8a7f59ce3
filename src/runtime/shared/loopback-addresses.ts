/**
 * Client addresses on this host (the local runtime's, and any host-side prober's). Linux
 * routes all of 127.0.0.0/8 to `lo`, so a socket can bind any of them with no set-up: that
 * is the whole pool. A subnet outside it
 * (ep04's 192.168.1.0/24) cannot be spoken from without touching the host's network, so
 * asking for one is an error the verifier reports as a skipped check.
 */
import { formatIPv4, parseIPv4, parseIPv4Cidr } from '../../proxy/net/ipv4.js';
import { EnvironmentError } from '../../errors.js';

export const LOOPBACK_NET = '127.0.0.0/8';

/** The local runtime cannot send from this subnet; checks that need it are skipped, never passed. */
export class UnreachableSubnetError extends EnvironmentError {
  constructor(readonly subnet: string) {
    super(`the local runtime speaks only from ${LOOPBACK_NET}, not from ${subnet}`, 'run this lab on the docker runtime to exercise source-address rules outside loopback');
  }
}

interface Range {
  first: number;
  last: number;
}

const parseIpv4 = parseIPv4;
const formatIpv4 = formatIPv4;

/** a.b.c.d/len (a bare address is /32) as a range of addresses; undefined for IPv6 or garbage. */
function parseCidr(text: string): Range | undefined {
  const c = parseIPv4Cidr(text.trim());
  return c && { first: c.base, last: c.base + 2 ** (32 - c.bits) - 1 };
}

const LOOPBACK_RANGE = parseCidr(LOOPBACK_NET)!;
/** Default pool: 127.1.0.0 upwards, away from 127.0.0.1 where the lab listens. */
const DEFAULT_START = parseIpv4('127.1.0.0')!;

/**
 * `count` distinct loopback addresses, inside `subnet` when given (its part within
 * 127.0.0.0/8). Deterministic: the same call gives the same addresses, so hash-based runs
 * can be repeated. Network and broadcast-looking addresses (.0, .255) are left out.
 */
export function loopbackAddresses(count: number, subnet?: string): string[] {
  let range: Range = { first: DEFAULT_START, last: LOOPBACK_RANGE.last };
  if (subnet !== undefined) {
    const asked = parseCidr(subnet);
    if (!asked) throw new UnreachableSubnetError(subnet);
    const first = Math.max(asked.first, LOOPBACK_RANGE.first);
    const last = Math.min(asked.last, LOOPBACK_RANGE.last);
    if (first > last) throw new UnreachableSubnetError(subnet);
    range = { first, last };
  }
  const out: string[] = [];
  for (let n = range.first; n <= range.last && out.length < count; n++) {
    const lastOctet = n % 256;
    // Skip x.x.x.0/255 unless the subnet is that one address (a /32 the caller means).
    if (range.first !== range.last && (lastOctet === 0 || lastOctet === 255)) continue;
    out.push(formatIpv4(n));
  }
  return out;
}
