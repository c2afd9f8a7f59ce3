/**
 * What the hash algorithms hash, as backend.c's get_server_sh/uh/ph/hh pick it out
 * of the request. Each function returns the 32-bit hash, or -1 when the input is
 * absent (no such parameter or header), in which case HAProxy falls back to
 * round-robin. Nothing here allocates on the common path.
 */
import { ipv4At } from '../net/ipv4.js';
import { ByteScratch, fullHash, HASH_FUNCTIONS, STRING_HASHES, type ByteHash, type StringHash } from './hash-functions.js';
import type { BalanceSettings } from './types.js';

export const MISSING = -1;

export class KeyHasher {
  private readonly scratch = new ByteScratch();
  private readonly fn: ByteHash;
  private readonly stringFn?: StringHash;
  private readonly avalanche: boolean;
  private readonly words = new Uint16Array(8);

  constructor(settings: BalanceSettings) {
    this.fn = HASH_FUNCTIONS[settings.hashType.fn];
    this.stringFn = STRING_HASHES[settings.hashType.fn];
    this.avalanche = settings.hashType.avalanche;
  }

  /** gen_hash, then full_hash if the `avalanche` modifier is set. */
  hash(s: string, start: number, end: number): number {
    const direct = this.stringFn ? this.stringFn(s, start, end) : -1;
    const h = direct >= 0 ? direct : this.fn(this.scratch.bytes, this.scratch.load(s, start, end));
    return this.finish(h);
  }

  finish(h: number): number {
    return this.avalanche ? fullHash(h) : h >>> 0;
  }

  /**
   * get_server_sh: the address's 32-bit words XORed together in network order (the
   * whole IPv4 address, or the four words of an IPv6 one); no byte hash function.
   * IPv4-mapped IPv6 ("::ffff:a.b.c.d") stays IPv6, as it does on an IPv6 socket.
   */
  source(addr: string): number {
    let h: number;
    if (addr.indexOf(':') < 0) {
      h = ipv4At(addr, 0, addr.length);
      if (h < 0) return MISSING;
    } else {
      if (!parseIpv6(addr, this.words)) return MISSING;
      const w = this.words;
      h = 0;
      for (let k = 0; k < 8; k += 2) h ^= (w[k]! << 16) | w[k + 1]!;
    }
    return this.finish(h);
  }

  /** get_server_uh with `balance uri [whole] [len N] [depth N] [path-only]`. */
  uri(uri: string, opts: NonNullable<BalanceSettings['uri']>): number {
    let start = 0;
    if (opts.pathOnly) {
      start = pathStart(uri);
      if (start < 0) return this.hash(uri, 0, 0); // no path: HAProxy hashes ""
    }
    let remaining = uri.length - start;
    if (opts.len > 0) remaining = Math.min(remaining, opts.len);
    // HAProxy stores depth + 1: the slash that ends the kept part.
    const endSlash = opts.depth > 0 ? opts.depth + 1 : 0;
    let slashes = 0;
    let end = start;
    while (remaining-- > 0) {
      const c = uri.charCodeAt(end);
      if (c === 0x2f) {
        if (++slashes === endSlash) break;
      } else if (c === 0x3f && !opts.whole) break;
      end++;
    }
    return this.hash(uri, start, end);
  }

  /** get_server_ph: the value of the first `name=` in the query string (case-sensitive). */
  urlParam(uri: string, name: string): number {
    const q = uri.indexOf('?');
    if (q < 0) return MISSING;
    const plen = name.length;
    let params = q + 1;
    let left = uri.length - params;
    while (left > plen) {
      if (uri.charCodeAt(params + plen) === 0x3d && uri.startsWith(name, params)) {
        const start = params + plen + 1;
        let end = start;
        left -= plen + 1;
        while (left && uri.charCodeAt(end) !== 0x26) {
          left--;
          end++;
        }
        return this.hash(uri, start, end);
      }
      const amp = uri.indexOf('&', params);
      if (amp < 0 || amp >= params + left) return MISSING;
      left -= amp + 1 - params;
      params = amp + 1;
    }
    return MISSING;
  }

  /**
   * get_server_hh: the header's first value as http_find_header gives it — leading
   * and trailing blanks dropped, cut at the first comma outside quotes — or, with
   * `use_domain_only`, only the label before the last dot ("example" in
   * "www.example.com"). An absent or empty value falls back to round-robin.
   */
  header(raw: string | undefined, domainOnly: boolean): number {
    if (raw === undefined) return MISSING;
    let start = 0;
    let end = raw.length;
    while (start < end && isLws(raw.charCodeAt(start))) start++;
    end = valueEnd(raw, start, end);
    while (end > start && isLws(raw.charCodeAt(end - 1))) end--;
    if (end === start) return MISSING;
    if (!domainOnly) return this.hash(raw, start, end);

    // Walk back from the end: the last dot closes the label, the dot before opens it.
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
    return this.hash(raw, p, stop);
  }
}

function isLws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** http_find_hdr_value_end: the first comma that is not inside a quoted string. */
function valueEnd(s: string, i: number, end: number): number {
  let quoted = false;
  let qdpair = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (qdpair) qdpair = false;
    else if (quoted) {
      if (c === 0x5c) qdpair = true;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2c) return i;
  }
  return end;
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


/** IPv6 text (with "::", an IPv4 tail, or a %zone) into eight 16-bit words. */
function parseIpv6(s: string, out: Uint16Array): boolean {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  let start = 0;
  if (s.charCodeAt(0) === 0x5b && s.charCodeAt(end - 1) === 0x5d) {
    start = 1;
    end--;
  }
  out.fill(0);
  let n = 0;
  let gap = -1;
  let i = start;
  if (s.startsWith('::', i)) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let j = i;
    let v = 0;
    while (j < end && j - i < 5) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 0x2e) {
      // An IPv4 tail fills the last two words.
      const v4 = ipv4At(s, i, end);
      if (v4 < 0 || n > 6) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    out[n++] = v;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) return false;
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Slide the words after "::" to the end.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
