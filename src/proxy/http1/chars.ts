/**
 * Byte classes for the HTTP/1.1 head parsers, as strict as Node's own parser (llhttp,
 * which the proxy used before src/proxy/http1 replaced it) so that what was refused with
 * 400 still is:
 *   - token (RFC 9110 §5.6.2): header names;
 *   - target: visible ASCII only (a space ends it; tab, DEL, control bytes and bytes
 *     ≥ 0x80 are refused, as by Node's parser and HAProxy's);
 *   - field value: tab, visible ASCII, space and bytes ≥ 0x80 (no CR, LF, NUL or DEL).
 */
function table(accept: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accept(b) ? 1 : 0;
  return t;
}

const TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";

export const TOKEN = table(
  (b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || TOKEN_PUNCTUATION.includes(String.fromCharCode(b)),
);

export const TARGET = table((b) => b > 0x20 && b < 0x7f);

export const FIELD_VALUE = table((b) => b === 0x09 || (b >= 0x20 && b < 0x7f) || b >= 0x80);

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HT = 0x09;
export const COLON = 0x3a;

/** ASCII lower-casing of one byte. */
export function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** True when buf[start, end) equals `lowerName` (already lower-case ASCII), ignoring case. */
export function bytesEqualLower(buf: Buffer, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let k = 0; k < lowerName.length; k++) if (lower(buf[start + k]!) !== lowerName.charCodeAt(k)) return false;
  return true;
}
