/**
 * Heads written by the proxy, copied from the heads it received: the request line and
 * every end-to-end header line go over byte for byte (original order and case), hop-by-hop
 * lines (RFC 9110 §7.6.1) stay behind, and the proxy adds only its own lines (Host for an
 * HTTP/1.0 request without one, X-Forwarded-For, framing, Connection). One buffer per head,
 * with room for the body bytes that came with it, so a small answer is one write.
 */
import { bytesEqualLower } from './chars.js';
import type { HeaderLines } from './header-lines.js';
import type { RequestHead } from './request-head.js';
import type { ResponseHead } from './response-head.js';

/** Node's client gave these methods a length when they had no body; so do we (0). */
const LENGTH_BY_DEFAULT = new Set(['POST', 'PUT', 'PATCH']);

/** Copies the kept header lines of `lines` (in `src`) into `out` at `at`; returns the new offset. */
function copyKeptLines(src: Buffer, lines: HeaderLines, out: Buffer, at: number, kept: Uint8Array): number {
  for (let k = 0; k < lines.count; k++) {
    if (kept[k] === 1) at += src.copy(out, at, lines.lineStart(k), lines.lineEnd(k));
  }
  return at;
}

/** Marks which lines are end-to-end; returns their total byte length. */
function keepEndToEnd(src: Buffer, lines: HeaderLines, kept: Uint8Array): number {
  let bytes = 0;
  for (let k = 0; k < lines.count; k++) {
    const keep = !lines.hopByHop(src, k);
    kept[k] = keep ? 1 : 0;
    if (keep) bytes += lines.lineEnd(k) - lines.lineStart(k);
  }
  return bytes;
}

/** Unmarks the kept lines named `lowerName`; returns the bytes they held. */
function dropLines(src: Buffer, lines: HeaderLines, kept: Uint8Array, lowerName: string): number {
  let bytes = 0;
  for (let k = 0; k < lines.count; k++) {
    if (kept[k] === 1 && bytesEqualLower(src, lines.nameStart(k), lines.nameEnd(k), lowerName)) {
      kept[k] = 0;
      bytes += lines.lineEnd(k) - lines.lineStart(k);
    }
  }
  return bytes;
}

let keptScratch = new Uint8Array(128);
function scratch(count: number): Uint8Array {
  if (count > keptScratch.length) keptScratch = new Uint8Array(count * 2);
  return keptScratch;
}

export interface UpstreamExtras {
  /** Host to add when the request had none (HTTP/1.0). */
  host?: string;
  forwardedFor?: { header: string; value: string };
  keepAlive: boolean;
  /** Header lines changed by set-header rules or persistence (http.ts headerEdits); absent: the lines go as they came. */
  edits?: HeaderEdits;
}

/** Names (lower-case) whose lines stay behind, and the name/value pairs sent in their place. */
export interface HeaderEdits {
  drop: readonly string[];
  add: readonly string[];
}

/** The request head for the server, always HTTP/1.1. `src` holds the client's head. */
export function upstreamRequestHead(src: Buffer, head: RequestHead, lines: HeaderLines, extras: UpstreamExtras): Buffer {
  const kept = scratch(lines.count);
  let headerBytes = keepEndToEnd(src, lines, kept);
  if (extras.edits) for (const name of extras.edits.drop) headerBytes -= dropLines(src, lines, kept, name);
  // The request line up to the version ("GET /x "): 10 bytes of "HTTP/1.x\r\n" follow it.
  const lineEnd = lines.count > 0 ? lines.lineStart(0) : head.length - 2;
  const startLine = lineEnd - 10;
  let tail = '';
  if (extras.host !== undefined) tail += `Host: ${extras.host}\r\n`;
  if (extras.edits) for (let k = 0; k < extras.edits.add.length; k += 2) tail += `${extras.edits.add[k]}: ${extras.edits.add[k + 1]}\r\n`;
  if (extras.forwardedFor) tail += `${extras.forwardedFor.header}: ${extras.forwardedFor.value}\r\n`;
  if (head.contentLength < 0 && !head.chunked && LENGTH_BY_DEFAULT.has(head.method)) tail += 'Content-Length: 0\r\n';
  tail += extras.keepAlive ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n';
  const out = Buffer.allocUnsafe(startLine + 10 + headerBytes + tail.length);
  let at = src.copy(out, 0, 0, startLine);
  at += out.write('HTTP/1.1\r\n', at, 'latin1');
  at = copyKeptLines(src, lines, out, at, kept);
  out.write(tail, at, 'latin1');
  return out;
}

export interface ClientFraming {
  /** Re-frame a close-delimited body as chunked (an HTTP/1.1 client we keep). */
  chunk: boolean;
  keepAlive: boolean;
  /** The client spoke HTTP/1.0: keep-alive must be said. */
  clientMinor: number;
  /** Lines the proxy adds (persistence's Set-Cookie, Cache-Control), name/value pairs. */
  added?: readonly string[];
}

/**
 * The response head for the client (HTTP/1.1 status line, the server's code and reason),
 * followed by room for `bodyBytes`; returns the buffer and where the body goes.
 */
export function clientResponseHead(src: Buffer, resp: ResponseHead, lines: HeaderLines, framing: ClientFraming, bodyBytes: number): { out: Buffer; at: number } {
  const kept = scratch(lines.count);
  const headerBytes = keepEndToEnd(src, lines, kept);
  const statusEnd = lines.count > 0 ? lines.lineStart(0) : resp.length - 2;
  let tail = '';
  if (framing.added) for (let k = 0; k < framing.added.length; k += 2) tail += `${framing.added[k]}: ${framing.added[k + 1]}\r\n`;
  if (framing.chunk) tail += 'Transfer-Encoding: chunked\r\n';
  if (!framing.keepAlive) tail += 'Connection: close\r\n';
  else if (framing.clientMinor === 0) tail += 'Connection: keep-alive\r\n';
  tail += '\r\n';
  const out = Buffer.allocUnsafe(9 + (statusEnd - resp.statusAt) + headerBytes + tail.length + bodyBytes);
  let at = out.write('HTTP/1.1 ', 0, 'latin1');
  at += src.copy(out, at, resp.statusAt, statusEnd);
  at = copyKeptLines(src, lines, out, at, kept);
  at += out.write(tail, at, 'latin1');
  return { out, at };
}

/** `data` framed as one chunk of a chunked body (size line, data, CRLF), in one new buffer. */
export function chunkOf(data: Buffer): Buffer {
  const size = data.length.toString(16);
  const out = Buffer.allocUnsafe(size.length + 2 + data.length + 2);
  let at = out.write(size, 0, 'latin1');
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  at += data.copy(out, at);
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}

/** A whole answer of the proxy's own (errors, stats): headers as name/value pairs. */
export function simpleResponse(status: number, reason: string, headers: readonly string[], body: Buffer, keepAlive: boolean, headRequest: boolean): Buffer {
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (let k = 0; k < headers.length; k += 2) head += `${headers[k]}: ${headers[k + 1]}\r\n`;
  head += keepAlive ? '\r\n' : 'connection: close\r\n\r\n';
  return headRequest ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
