/**
 * IPv4 arithmetic for client addresses: which addresses of a subnet the probe may take.
 * They are taken from the top of the range down, because the engine hands out addresses
 * from the bottom up: a container started later is least likely to want one of ours.
 */
import { BadInputError } from '../../errors.js';

export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new BadInputError(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export const intToIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export function parseCidr(cidr: string): Cidr {
  const [ip, bits] = cidr.split('/');
  const prefix = bits === undefined ? 32 : Number(bits);
  if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new BadInputError(`not an IPv4 CIDR: ${cidr}`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, prefix };
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
