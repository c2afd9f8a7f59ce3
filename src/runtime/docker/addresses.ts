/**
 * IPv4 arithmetic for client addresses: which addresses of a subnet the probe may take.
 * They are taken from the top of the range down, because the engine hands out addresses
 * from the bottom up: a container started later is least likely to want one of ours.
 */
import { BadInputError } from '../../errors.js';
import { formatIPv4, parseIPv4, parseIPv4Cidr } from '../../proxy/net/ipv4.js';

export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const n = parseIPv4(ip);
  if (n === undefined) throw new BadInputError(`not an IPv4 address: ${ip}`);
  return n;
}

export const intToIp = formatIPv4;

export function parseCidr(cidr: string): Cidr {
  const c = parseIPv4Cidr(cidr);
  if (!c) throw new BadInputError(`not an IPv4 CIDR: ${cidr}`);
  return { base: c.base, prefix: c.bits };
}

const size = (c: Cidr): number => 2 ** (32 - c.prefix);

export function contains(outer: Cidr, ip: number): boolean {
  return ip >= outer.base && ip < outer.base + size(outer);
}

export function within(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && contains(outer, inner.base);
}

/**
 * `count` addresses of `range` (inside `network`), highest first, skipping `taken`, the
 * network's and the range's own network/broadcast addresses, and the network's first host
 * (the engine's gateway by convention).
 */
export function pickAddresses(network: Cidr, range: Cidr, count: number, taken: Iterable<string>): string[] {
  const skip = new Set<number>([...taken].map(ipToInt));
  for (const c of [network, range]) {
    skip.add(c.base);
    skip.add(c.base + size(c) - 1);
  }
  skip.add(network.base + 1);
  const picked: string[] = [];
  for (let ip = range.base + size(range) - 1; ip >= range.base && picked.length < count; ip--) {
    if (!skip.has(ip) && contains(network, ip)) picked.push(intToIp(ip));
  }
  return picked;
}
