/**
 * What the hash algorithms hash, as backend.c's get_server_sh/uh/ph/hh pick it out
 * of the request. Nothing here allocates on the common path.
 *
 * The data path calls the read*() methods: each says whether the key is there (when it
 * is not, HAProxy falls back to round-robin) and leaves the key's 32-bit hash in
 * `hashed[0]`. The hash leaves through that slot, not as a return value, because V8 boxes
 * a number above 2³⁰ returned from a call it did not inline: a heap allocation per pick.
 * The number-returning forms (source, uri, urlParam, header, hash) are for tests and tools.
 *
 * With sdbm or djb2 (hash-functions.ts POLYNOMIAL_HASHES) the hash is computed in the very
 * loop that finds where the key ends, from the string's char codes: one pass, no copy.
 */
import { ipv4At } from '../net/ipv4.js';
import { parseIpv6 } from '../net/ipv6.js';
import { ByteScratch, fullHash, HASH_FUNCTIONS, POLYNOMIAL_HASHES, type ByteHash } from './hash-functions.js';
import type { BalanceSettings } from './types.js';

export const MISSING = -1;

export type UriOptions = NonNullable<BalanceSettings['uri']>;

export class KeyHasher {
  /** The hash of the last key a read*() method found, unsigned 32-bit. */
  readonly hashed = new Uint32Array(1);
  private readonly scratch = new ByteScratch();
  private readonly fn: ByteHash;
  /** h × multiplier + c for sdbm and djb2; 0 for the functions that need the bytes. */
  private readonly multiplier: number;
  private readonly seed: number;
  private readonly avalanche: boolean;
  private readonly words = new Uint16Array(8);

  constructor(settings: BalanceSettings) {
    this.fn = HASH_FUNCTIONS[settings.hashType.fn];
    const polynomial = POLYNOMIAL_HASHES[settings.hashType.fn];
    this.multiplier = polynomial?.multiplier ?? 0;
    this.seed = polynomial?.seed ?? 0;
    this.avalanche = settings.hashType.avalanche;
  }

  /** gen_hash of s[start, end), then full_hash if the `avalanche` modifier is set. */
  hash(s: string, start: number, end: number): number {
    this.readRange(s, start, end);
    return this.hashed[0]!;
  }

  source(addr: string): number {
    return this.readSource(addr) ? this.hashed[0]! : MISSING;
  }

  uri(uri: string, opts: UriOptions): number {
    return this.readUri(uri, opts) ? this.hashed[0]! : MISSING;
  }

  urlParam(uri: string, name: string): number {
    return this.readUrlParam(uri, name) ? this.hashed[0]! : MISSING;
  }

  header(raw: string | undefined, domainOnly: boolean): number {
    return raw !== undefined && this.readHeader(raw, domainOnly) ? this.hashed[0]! : MISSING;
  }

  /** The key HAProxy uses when a single server is usable: 0, unhashed. */
  zero(): true {
    this.hashed[0] = 0;
    return true;
  }

  /**
   * get_server_sh: the address's 32-bit words XORed together in network order (the
   * whole IPv4 address, or the four words of an IPv6 one); no byte hash function.
   * IPv4-mapped IPv6 ("::ffff:a.b.c.d") stays IPv6, as it does on an IPv6 socket.
   */
  readSource(addr: string): boolean {
    let h = ipv4At(addr, 0, addr.length);
    if (h < 0) {
      // Not a dotted quad (ipv4At refuses any ':'): an IPv6 address, or no key at all.
      if (addr.indexOf(':') < 0 || !parseIpv6(addr, this.words)) return false;
      const w = this.words;
      h = 0;
      for (let k = 0; k < 8; k += 2) h ^= (w[k]! << 16) | w[k + 1]!;
    }
    this.hashed[0] = this.avalanche ? fullHash(h) : h;
    return true;
  }

  /** get_server_uh with `balance uri [whole] [len N] [depth N] [path-only]`. */
  readUri(uri: string, opts: UriOptions): boolean {
    let start = 0;
    if (opts.pathOnly) {
      start = pathStart(uri);
      if (start < 0) return this.found(uri, 0, 0, this.seed, 0); // no path: HAProxy hashes ""
    }
    let stop = uri.length;
    if (opts.len > 0 && opts.len < stop - start) stop = start + opts.len;
    // HAProxy stores depth + 1: the slash that ends the kept part.
    const endSlash = opts.depth > 0 ? opts.depth + 1 : 0;
    const query = opts.whole ? -1 : 0x3f;
    const multiplier = this.multiplier;
    let h = this.seed;
    let wide = 0;
    let slashes = 0;
    let end = start;
    if (endSlash === 0) {
      // No depth (the default): slashes end nothing, so one test per character.
      for (; end < stop; end++) {
        const c = uri.charCodeAt(end);
        if (c === query) break;
        h = (Math.imul(h, multiplier) + c) | 0;
        wide |= c;
      }
      return this.found(uri, start, end, h, wide);
    }
    for (; end < stop; end++) {
      const c = uri.charCodeAt(end);
      if (c === 0x2f) {
        if (++slashes === endSlash) break;
      } else if (c === query) break;
      h = (Math.imul(h, multiplier) + c) | 0;
      wide |= c;
    }
    return this.found(uri, start, end, h, wide);
  }

  /** get_server_ph: the value of the first `name=` in the query string (case-sensitive). */
  readUrlParam(uri: string, name: string): boolean {
    const q = uri.indexOf('?');
    if (q < 0) return false;
    const len = uri.length;
    const plen = name.length;
    let params = q + 1;
    // One parameter at a time: `name=` counts only at the start of one.
    while (len - params > plen) {
      if (uri.charCodeAt(params + plen) === 0x3d && uri.startsWith(name, params)) {
        const start = params + plen + 1;
        const multiplier = this.multiplier;
        let h = this.seed;
        let wide = 0;
        let end = start;
        for (; end < len; end++) {
          const c = uri.charCodeAt(end);
          if (c === 0x26) break;
          h = (Math.imul(h, multiplier) + c) | 0;
          wide |= c;
        }
        return this.found(uri, start, end, h, wide);
      }
      const amp = uri.indexOf('&', params);
      if (amp < 0) return false;
      params = amp + 1;
    }
    return false;
  }

  /**
   * get_server_hh: the header's first value as http_find_header gives it — leading
   * and trailing blanks dropped, cut at the first comma outside quotes — or, with
   * `use_domain_only`, only the label before the last dot ("example" in
   * "www.example.com"). An absent or empty value falls back to round-robin.
   */
  readHeader(raw: string, domainOnly: boolean): boolean {
    const len = raw.length;
    let start = 0;
    while (start < len && isLws(raw.charCodeAt(start))) start++;
    if (!domainOnly && start < len) {
      // The common value (a Host, a token) holds no blank, quote or comma: hash it in a
      // loop with one test per character. Any unit up to '"' (blanks, controls, '!', the
      // quote) or a comma hands over to the full pass below, which starts again.
      const multiplier = this.multiplier;
      let h = this.seed;
      let wide = 0;
      let i = start;
      for (; i < len; i++) {
        const c = raw.charCodeAt(i);
        if (c <= 0x22 || c === 0x2c) break;
        h = (Math.imul(h, multiplier) + c) | 0;
        wide |= c;
      }
      if (i === len) return this.found(raw, start, len, h, wide);
    }
    return this.readHeaderValue(raw, start, domainOnly);
  }

  /** readHeader's full pass, from the first non-blank: quotes, a comma and trailing blanks. */
  private readHeaderValue(raw: string, start: number, domainOnly: boolean): boolean {
    const len = raw.length;
    // One pass to the first comma outside quotes (http_find_hdr_value_end); trailing
    // blanks are dropped by keeping the hash as it stood after the last non-blank.
    const multiplier = this.multiplier;
    let h = this.seed;
    let kept = h;
    let wide = 0;
    let end = start;
    let quoted = false;
    let escaped = false;
    for (let i = start; i < len; i++) {
      const c = raw.charCodeAt(i);
      if (escaped) escaped = false;
      else if (quoted) {
        if (c === 0x5c) escaped = true;
        else if (c === 0x22) quoted = false;
      } else if (c === 0x22) quoted = true;
      else if (c === 0x2c) break;
      h = (Math.imul(h, multiplier) + c) | 0;
      wide |= c;
      if (!isLws(c)) {
        kept = h;
        end = i + 1;
      }
    }
    if (end === start) return false;
    if (domainOnly) return this.readDomain(raw, start, end);
    return this.found(raw, start, end, kept, wide);
  }

  /** use_domain_only: walks back from the end; the last dot closes the label, the dot before opens it. */
  private readDomain(raw: string, start: number, end: number): boolean {
    let len = end - start;
    let p = end;
    let stop = end;
    let inLabel = false;
    while (len) {
      if (inLabel) {
        if (raw.charCodeAt(p - 1) === 0x2e) break;
      } else if (p < end && raw.charCodeAt(p) === 0x2e) {
        stop = p;
        inLabel = true;
      }
      p--;
      len--;
    }
    return this.readRange(raw, p, stop);
  }

  private readRange(s: string, start: number, end: number): true {
    const multiplier = this.multiplier;
    let h = this.seed;
    let wide = 0;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      h = (Math.imul(h, multiplier) + c) | 0;
      wide |= c;
    }
    return this.found(s, start, end, h, wide);
  }

  /**
   * Stores the hash of the key s[start, end): `h`, its polynomial hash, unless the
   * function needs bytes (wt6, crc32) or a character is wider than a byte (then the
   * UTF-8 bytes are hashed, see ByteScratch) — `wide` is the OR of its char codes.
   */
  private found(s: string, start: number, end: number, h: number, wide: number): true {
    if (this.multiplier === 0 || wide > 0xff) h = this.fn(this.scratch.bytes, this.scratch.load(s, start, end));
    this.hashed[0] = this.avalanche ? fullHash(h) : h;
    return true;
  }
}

function isLws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * http_parse_path: where the path starts. Origin-form URIs are all path; an
 * absolute URI loses its "scheme://authority"; "*", "" and authority-only forms
 * have no path (-1).
 */
function pathStart(uri: string): number {
  if (uri.length === 0 || uri.charCodeAt(0) === 0x2a) return -1;
  if (uri.charCodeAt(0) === 0x2f) return 0;
  let i = 0;
  if (!isAlpha(uri.charCodeAt(0))) return -1;
  i++;
  while (i < uri.length && isSchemeChar(uri.charCodeAt(i))) i++;
  if (!uri.startsWith('://', i)) return -1;
  i += 3;
  while (i < uri.length && uri.charCodeAt(i) !== 0x2f) i++;
  return i === uri.length ? -1 : i;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isSchemeChar(c: number): boolean {
  return isAlpha(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}
