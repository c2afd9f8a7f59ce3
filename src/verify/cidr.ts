/**
 * IPv4 CIDR arithmetic for `src` ACL probes: is an address inside a rule's range, and which
 * block of the lab's client subnet lies outside every range a frontend names.
 */

export interface Cidr {
  base: number;
  bits: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** "192.168.1.0/24" or a single address (a /32). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len] = text.split('/');
  const base = parseIpv4(addr ?? '');
  const bits = len === undefined ? 32 : Number(len);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return { base: (base & mask(bits)) >>> 0, bits };
}

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
