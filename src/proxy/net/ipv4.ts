/**
 * The one IPv4 text parser of haplab (ACL patterns, hash keys, the verifier's CIDR probes):
 * inet_pton's rules, which HAProxy's own parsing follows — four plain decimal octets, no
 * leading zeros, no hex. Works on a slice of a string so that the hot path (source hashing)
 * allocates nothing.
 */

/** s[start, end) as a dotted quad → unsigned 32-bit number, or -1. */
export function ipv4At(s: string, start = 0, end = s.length): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (!digits || ++dots > 3) return -1;
      v = v * 256 + part;
      part = digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      // A leading zero is refused ("01"), a lone "0" is not.
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || !digits) return -1;
  return (v * 256 + part) >>> 0;
}

export function parseIPv4(text: string): number | undefined {
  const v = ipv4At(text);
  return v < 0 ? undefined : v;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 network: its first address and prefix length. */
export interface Ipv4Cidr {
  base: number;
  bits: number;
}

export function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** "a.b.c.d/len" or a bare address (a /32), the host bits cleared; undefined for anything else. */
export function parseIPv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  const base = parseIPv4(slash < 0 ? text : text.slice(0, slash));
  const lenText = slash < 0 ? '32' : text.slice(slash + 1);
  const bits = /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN;
  if (base === undefined || !(bits >= 0 && bits <= 32)) return undefined;
  return { base: (base & ipv4Mask(bits)) >>> 0, bits };
}
