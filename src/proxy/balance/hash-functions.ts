/**
 * The hash functions HAProxy offers to `hash-type` (src/hash.c) and the integer
 * avalanche it applies on top (`full_hash`, include/haproxy/intops.h). All results
 * are unsigned 32-bit integers, computed exactly as the C code's `unsigned int`
 * arithmetic wraps, so that a key lands on the same server as in HAProxy.
 */

/** A hash over `len` bytes of `buf`, as HAProxy's `hash_*(const void *, int)`. */
export type ByteHash = (buf: Uint8Array, len: number) => number;

export function sdbm(buf: Uint8Array, len: number): number {
  let h = 0;
  for (let i = 0; i < len; i++) {
    // h * 65599 + c, written with the shifts of the original so the wrap is identical.
    h = (buf[i]! + (h << 6) + (h << 16) - h) >>> 0;
  }
  return h;
}

export function djb2(buf: Uint8Array, len: number): number {
  let h = 5381;
  for (let i = 0; i < len; i++) h = (Math.imul(h, 33) + buf[i]!) >>> 0;
  return h;
}

export function wt6(buf: Uint8Array, len: number): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = 0; i < len; i++) {
    const c = buf[i]!;
    h0 = ~(h0 ^ c) >>> 0;
    h1 = ~(h1 + c) >>> 0;
    // C shifts by 32 when a step is 0 are undefined; x86 masks the count to 0..31,
    // which is exactly what JavaScript's shift operators do, so results agree.
    const t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    const u = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = u & 0x1f;
    step1 = u >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

export function crc32(buf: Uint8Array, len: number): number {
  let h = 0xffffffff;
  for (let i = 0; i < len; i++) {
    h ^= buf[i]!;
    for (let bit = 0; bit < 8; bit++) h = (h >>> 1) ^ (h & 1 ? 0xedb88320 : 0);
  }
  return ~h >>> 0;
}

/** Bob Jenkins' integer avalanche followed by HAProxy's multiply by 3221225473. */
export function fullHash(x: number): number {
  let a = x >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

export const HASH_FUNCTIONS: Readonly<Record<'sdbm' | 'djb2' | 'wt6' | 'crc32', ByteHash>> = {
  sdbm,
  djb2,
  wt6,
  crc32,
};

/**
 * sdbm and djb2 are both h = h × M + c (mod 2³²) from a seed: sdbm's
 * c + (h << 6) + (h << 16) - h is h × 65599 + c, djb2's ((h << 5) + h) + c is h × 33 + c.
 * Written that way, one loop computes either straight from a latin1 string's char codes
 * (one byte per unit, as Node's parser and src/proxy/http1 hand them over), fused with the
 * scan that finds where the key ends (request-keys.ts): no copy, no second pass. wt6 and
 * crc32 have no such form and go through ByteScratch.
 */
export interface Polynomial {
  readonly multiplier: number;
  readonly seed: number;
}

export const POLYNOMIAL_HASHES: Readonly<Partial<Record<'sdbm' | 'djb2' | 'wt6' | 'crc32', Polynomial>>> = {
  sdbm: { multiplier: 65599, seed: 0 },
  djb2: { multiplier: 33, seed: 5381 },
};

/**
 * Turns part of a JavaScript string back into the bytes HAProxy would hash, into a
 * buffer reused across calls so that picking a server allocates nothing.
 *
 * Node's HTTP parser hands over URLs and header values one byte per UTF-16 unit
 * (latin1), so units up to 0xff are taken as the bytes themselves. A string holding
 * wider characters can only have come from elsewhere; it is encoded as UTF-8.
 */
export class ByteScratch {
  private buf = new Uint8Array(256);

  /** Copies `s[start, end)` in; returns the number of bytes now at the front of `bytes`. */
  load(s: string, start: number, end: number): number {
    const n = end - start;
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
    const b = this.buf;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(start + i);
      if (c > 0xff) return this.loadUtf8(s.slice(start, end));
      b[i] = c;
    }
    return n;
  }

  get bytes(): Uint8Array {
    return this.buf;
  }

  private loadUtf8(s: string): number {
    const need = Buffer.byteLength(s, 'utf8');
    if (need > this.buf.length) this.buf = new Uint8Array(need);
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.length).write(s, 'utf8');
  }
}
