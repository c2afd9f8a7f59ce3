/**
 * IPv4 CIDR arithmetic for `src` ACL probes: is an address inside a rule's range, and which
 * block of the lab's client subnet lies outside every range a frontend names.
 */

import { formatIPv4, ipv4Mask, parseIPv4, parseIPv4Cidr, type Ipv4Cidr } from '../proxy/net/ipv4.js';

export type Cidr = Ipv4Cidr;

/** The proxy's own parser (inet_pton's rules): one IPv4 parser in haplab. */
export const parseIpv4 = parseIPv4;
export const formatIpv4 = formatIPv4;

const mask = ipv4Mask;

/** "192.168.1.0/24" or a single address (a /32). */
export const parseCidr = parseIPv4Cidr;

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.bits}`;
}

export function cidrContains(c: Cidr, address: string): boolean {
  const a = parseIpv4(address);
  return a !== undefined && ((a & mask(c.bits)) >>> 0) === c.base;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((a.base & mask(bits)) >>> 0) === ((b.base & mask(bits)) >>> 0);
}

/**
 * A /24 (or the subnet itself when smaller) inside `within` that overlaps none of `avoid`,
 * for "outside the rule's range" probes that must still come from the lab's client network.
 */
export function blockOutside(within: Cidr, avoid: readonly Cidr[]): Cidr | undefined {
  const bits = Math.max(within.bits, 24);
  const count = 2 ** (bits - within.bits);
  for (let i = 0; i < Math.min(count, 65536); i++) {
    const block = { base: (within.base + i * 2 ** (32 - bits)) >>> 0, bits };
    if (!avoid.some((a) => overlaps(a, block))) return block;
  }
  return undefined;
}

/** True when every address of `inner` is inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.bits >= outer.bits && ((inner.base & mask(outer.bits)) >>> 0) === outer.base;
}
