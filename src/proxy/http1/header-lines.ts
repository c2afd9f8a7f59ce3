/**
 * The header section of an HTTP/1.1 head, parsed in place: each line's name and value as
 * byte offsets into the buffer holding the head, so that forwarding a line is a copy of
 * its bytes and only the headers the proxy reads become strings. The framing headers
 * (Content-Length, Transfer-Encoding, Connection, Keep-Alive) are read here once.
 */
import { bytesEqualLower, COLON, CR, FIELD_VALUE, HT, LF, lower, SP, TOKEN } from './chars.js';

/** tune.http.maxhdr: HAProxy 2.6 refuses a head with more header lines (400 / 502). */
export const MAX_HEADER_LINES = 101;

/** Per line: name start, name end, value start, value end, line start, line end (after CRLF). */
const FIELDS = 6;

/** What a head's framing headers say; -1 length means none was given. */
export interface Framing {
  contentLength: number;
  /** Transfer-Encoding given at all, and whether its last coding is chunked. */
  transferEncoding: boolean;
  chunked: boolean;
  /** Connection tokens close / keep-alive; `hopByHop` names other tokens (lower-case). */
  connectionClose: boolean;
  connectionKeepAlive: boolean;
  hopByHop?: string[];
  /** `Keep-Alive: timeout=N` in seconds, -1 when absent. */
  keepAliveTimeout: number;
}

export class HeaderLines {
  count = 0;
  offsets = new Int32Array(FIELDS * 16);
  readonly framing: Framing = newFraming();

  nameStart(k: number): number {
    return this.offsets[k * FIELDS]!;
  }
  nameEnd(k: number): number {
    return this.offsets[k * FIELDS + 1]!;
  }
  valueStart(k: number): number {
    return this.offsets[k * FIELDS + 2]!;
  }
  valueEnd(k: number): number {
    return this.offsets[k * FIELDS + 3]!;
  }
  lineStart(k: number): number {
    return this.offsets[k * FIELDS + 4]!;
  }
  lineEnd(k: number): number {
    return this.offsets[k * FIELDS + 5]!;
  }

  private push(values: [number, number, number, number, number, number]): void {
    if ((this.count + 1) * FIELDS > this.offsets.length) {
      const grown = new Int32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets.set(values, this.count * FIELDS);
    this.count++;
  }

  /**
   * Parses header lines from `pos` up to and including the empty line; returns the offset
   * after it, or -1 when a line is malformed (bad name, space before the colon, a control
   * byte in a value, a bare LF, an obs-fold continuation, too many lines) or a framing
   * header is invalid (a non-numeric or repeated Content-Length).
   */
  parse(buf: Buffer, pos: number, end: number): number {
    this.count = 0;
    resetFraming(this.framing);
    for (;;) {
      if (pos + 1 >= end) return -1;
      if (buf[pos] === CR) return buf[pos + 1] === LF ? pos + 2 : -1;
      const lineStart = pos;
      while (pos < end && TOKEN[buf[pos]!] === 1) pos++;
      const nameEnd = pos;
      if (nameEnd === lineStart || buf[pos] !== COLON) return -1;
      pos++;
      while (pos < end && (buf[pos] === SP || buf[pos] === HT)) pos++;
      const valueStart = pos;
      while (pos < end && FIELD_VALUE[buf[pos]!] === 1) pos++;
      if (pos + 1 >= end || buf[pos] !== CR || buf[pos + 1] !== LF) return -1;
      let valueEnd = pos;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) valueEnd--;
      pos += 2;
      if (this.count >= MAX_HEADER_LINES) return -1;
      this.push([lineStart, nameEnd, valueStart, valueEnd, lineStart, pos]);
      if (!this.readFraming(buf, lineStart, nameEnd, valueStart, valueEnd)) return -1;
    }
  }

  /** Notes a framing header; false when its value is invalid. */
  private readFraming(buf: Buffer, name: number, nameEnd: number, value: number, valueEnd: number): boolean {
    const f = this.framing;
    switch (nameEnd - name) {
      case 14:
        if (!bytesEqualLower(buf, name, nameEnd, 'content-length')) return true;
        if (f.contentLength >= 0 || value === valueEnd) return false;
        f.contentLength = decimal(buf, value, valueEnd);
        return f.contentLength >= 0;
      case 17:
        if (!bytesEqualLower(buf, name, nameEnd, 'transfer-encoding')) return true;
        // chunked is the last coding, applied once: after it nothing may follow.
        if (f.chunked) return false;
        f.transferEncoding = true;
        f.chunked = lastCodingIsChunked(buf, value, valueEnd);
        return !f.chunked || !/chunked\s*,/i.test(buf.toString('latin1', value, valueEnd));
      case 10:
        if (bytesEqualLower(buf, name, nameEnd, 'connection')) {
          // The two values seen on nearly every message, without a string.
          if (bytesEqualLower(buf, value, valueEnd, 'keep-alive')) f.connectionKeepAlive = true;
          else if (bytesEqualLower(buf, value, valueEnd, 'close')) f.connectionClose = true;
          else readConnection(f, buf.toString('latin1', value, valueEnd));
        }
        else if (bytesEqualLower(buf, name, nameEnd, 'keep-alive')) {
          const m = /(?:^|[\s,])timeout=(\d+)/i.exec(buf.toString('latin1', value, valueEnd));
          if (m) f.keepAliveTimeout = Number.parseInt(m[1]!, 10);
        }
        return true;
      default:
        return true;
    }
  }

  /** The lines as name/value strings (Node's rawHeaders form): for persistence, off the hot path. */
  rawPairs(buf: Buffer): string[] {
    const raw: string[] = [];
    for (let k = 0; k < this.count; k++) raw.push(buf.toString('latin1', this.nameStart(k), this.nameEnd(k)), buf.toString('latin1', this.valueStart(k), this.valueEnd(k)));
    return raw;
  }

  /** True when line k's name is `lowerName`. */
  nameIs(buf: Buffer, k: number, lowerName: string): boolean {
    return bytesEqualLower(buf, this.nameStart(k), this.nameEnd(k), lowerName);
  }

  /** Whether line k is hop-by-hop (RFC 9110 §7.6.1): it stays on its own connection. */
  hopByHop(buf: Buffer, k: number): boolean {
    const start = this.nameStart(k);
    const end = this.nameEnd(k);
    const length = end - start;
    if (
      (length === 10 && (bytesEqualLower(buf, start, end, 'connection') || bytesEqualLower(buf, start, end, 'keep-alive'))) ||
      (length === 16 && bytesEqualLower(buf, start, end, 'proxy-connection')) ||
      (length === 7 && (bytesEqualLower(buf, start, end, 'upgrade') || bytesEqualLower(buf, start, end, 'trailer'))) ||
      (length === 2 && bytesEqualLower(buf, start, end, 'te'))
    ) {
      return true;
    }
    const named = this.framing.hopByHop;
    if (named) for (const n of named) if (bytesEqualLower(buf, start, end, n)) return true;
    return false;
  }
}

function newFraming(): Framing {
  return { contentLength: -1, transferEncoding: false, chunked: false, connectionClose: false, connectionKeepAlive: false, keepAliveTimeout: -1 };
}

function resetFraming(f: Framing): void {
  f.contentLength = -1;
  f.transferEncoding = false;
  f.chunked = false;
  f.connectionClose = false;
  f.connectionKeepAlive = false;
  f.hopByHop = undefined;
  f.keepAliveTimeout = -1;
}

/** A Content-Length: digits only (no sign, no list), or -1. */
function decimal(buf: Buffer, start: number, end: number): number {
  if (end - start > 15) return -1;
  let n = 0;
  for (let k = start; k < end; k++) {
    const d = buf[k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function lastCodingIsChunked(buf: Buffer, start: number, end: number): boolean {
  let k = end;
  while (k > start && buf[k - 1] !== 0x2c) k--;
  while (k < end && (buf[k] === SP || buf[k] === HT)) k++;
  if (end - k !== 7) return false;
  return bytesEqualLower(buf, k, end, 'chunked');
}

function readConnection(f: Framing, value: string): void {
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === 'close') f.connectionClose = true;
    else if (token === 'keep-alive') f.connectionKeepAlive = true;
    else if (token !== '') (f.hopByHop ??= []).push(token);
  }
}

export { lower };
