/**
 * IP addresses and networks for `src` ACLs, with HAProxy's cross-family rules
 * (src/pattern.c pat_match_ip): an IPv4 client matches IPv6 patterns through its
 * ::ffff:a.b.c.d form, and an IPv6 client written ::ffff:a.b.c.d, ::a.b.c.d or
 * 2002:AABB:CCDD:: (6to4) matches IPv4 patterns.
 */
import type { IpAddress } from './types.js';
import { parseIPv4 } from '../net/ipv4.js';

export { parseIPv4 } from '../net/ipv4.js';

export function parseIPv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      if (k === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, k) => {
    bytes[2 * k] = g >>> 8;
    bytes[2 * k + 1] = g & 0xff;
  });
  return bytes;
}

export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, bytes: v6 };
  return undefined;
}

/** An IPv4 network (any mask, even non-contiguous) or an IPv6 prefix. */
export type IpNetwork = { family: 4; address: number; mask: number } | { family: 6; bytes: Uint8Array; prefix: number };

/**
 * Parses an `src` pattern like HAProxy's str2net/str62net: `a.b.c.d`, `a.b.c.d/24`,
 * `a.b.c.d/255.255.0.0`, IPv6 with an optional `/len`. Host names are not resolved.
 */
export function parseNetwork(text: string): IpNetwork | undefined {
  const slash = text.lastIndexOf('/');
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  const maskText = slash >= 0 ? text.slice(slash + 1) : undefined;

  const v4 = parseIPv4(addressText);
  if (v4 !== undefined) {
    let mask = 0xffffffff;
    if (maskText !== undefined) {
      if (maskText.includes('.')) {
        const dotted = parseIPv4(maskText);
        if (dotted === undefined) return undefined;
        mask = dotted;
      } else {
        if (!/^[0-9]+$/.test(maskText)) return undefined;
        const bits = Number(maskText);
        if (bits > 32) return undefined;
        mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      }
    }
    return { family: 4, address: v4, mask };
  }
  const v6 = parseIPv6(addressText);
  if (v6 === undefined) return undefined;
  let prefix = 128;
  if (maskText !== undefined) {
    if (!/^[0-9]+$/.test(maskText)) return undefined;
    prefix = Number(maskText);
    if (prefix > 128) return undefined;
  }
  return { family: 6, bytes: v6, prefix };
}

function v4InNetwork(address: number, net: { address: number; mask: number }): boolean {
  return ((address ^ net.address) & net.mask) === 0;
}

function v6InPrefix(bytes: Uint8Array, net: { bytes: Uint8Array; prefix: number }): boolean {
  let bits = net.prefix;
  for (let k = 0; bits > 0; k++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[k]! ^ net.bytes[k]!) & mask) !== 0) return false;
  }
  return true;
}

/** The IPv4 address an IPv6 one stands for, in the three forms HAProxy recognises. */
export function embeddedIPv4(bytes: Uint8Array): number | undefined {
  let firstEightZero = true;
  for (let k = 0; k < 8; k++) if (bytes[k] !== 0) firstEightZero = false;
  const mid = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
  if (firstEightZero && (mid === 0 || mid === 0xffff)) {
    return ((bytes[12]! << 24) | (bytes[13]! << 16) | (bytes[14]! << 8) | bytes[15]!) >>> 0;
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) {
    return ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
  }
  return undefined;
}

function mappedIPv6(v4: number): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes[12] = v4 >>> 24;
  bytes[13] = (v4 >>> 16) & 0xff;
  bytes[14] = (v4 >>> 8) & 0xff;
  bytes[15] = v4 & 0xff;
  return bytes;
}

export function addressInNetwork(address: IpAddress, net: IpNetwork): boolean {
  if (address.family === 4) {
    if (net.family === 4) return v4InNetwork(address.value, net);
    return v6InPrefix(mappedIPv6(address.value), net);
  }
  if (net.family === 6) return v6InPrefix(address.bytes, net);
  const v4 = embeddedIPv4(address.bytes);
  return v4 !== undefined && v4InNetwork(v4, net);
}
