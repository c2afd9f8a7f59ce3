/**
 * The response head parser: `HTTP/1.x SP 3DIGIT [SP reason] CRLF`, header lines, CRLF,
 * and how the body that follows is framed (RFC 9112 §6.3). A head Node's parser refused
 * (which the proxy answered with 502) is refused here too.
 */
import { CR, FIELD_VALUE, LF, SP } from './chars.js';
import { HeaderLines } from './header-lines.js';

/** How a message body is delimited. */
export type BodyKind = 'none' | 'length' | 'chunked' | 'close';

export interface ResponseHead {
  status: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Offset of the status code in the head: the status line from there on is copied as is. */
  statusAt: number;
  /** Bytes of the head, CRLFCRLF included. */
  length: number;
  body: BodyKind;
  contentLength: number;
  /** The server keeps the connection after this response. */
  keepAlive: boolean;
  /** The server's Keep-Alive timeout hint in seconds, -1 when absent. */
  keepAliveTimeout: number;
}

export const MAX_RESPONSE_HEAD_BYTES = 16384;

function digit(b: number | undefined): number {
  return b !== undefined && b >= 0x30 && b <= 0x39 ? b - 0x30 : -1;
}

/**
 * Parses the head at the start of `buf`: 'incomplete' until CRLFCRLF arrives, 'bad' when
 * malformed or too large. `headRequest`: the request was HEAD, so no body follows.
 */
export function parseResponseHead(buf: Buffer, lines: HeaderLines, headRequest: boolean): ResponseHead | 'incomplete' | 'bad' {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) return buf.length >= MAX_RESPONSE_HEAD_BYTES ? 'bad' : 'incomplete';
  const headEnd = end + 4;
  if (
    buf[0] !== 0x48 || buf[1] !== 0x54 || buf[2] !== 0x54 || buf[3] !== 0x50 || buf[4] !== 0x2f ||
    buf[5] !== 0x31 || buf[6] !== 0x2e || (buf[7] !== 0x30 && buf[7] !== 0x31) || buf[8] !== SP
  ) {
    return 'bad';
  }
  const minor = buf[7]! - 0x30;
  const a = digit(buf[9]);
  const b = digit(buf[10]);
  const c = digit(buf[11]);
  if (a < 1 || b < 0 || c < 0) return 'bad';
  const status = a * 100 + b * 10 + c;
  let pos = 12;
  if (buf[pos] === SP) {
    pos++;
    while (pos < headEnd && FIELD_VALUE[buf[pos]!] === 1) pos++;
  }
  if (buf[pos] !== CR || buf[pos + 1] !== LF) return 'bad';
  const length = lines.parse(buf, pos + 2, headEnd);
  if (length !== headEnd) return 'bad';
  const f = lines.framing;
  if (f.transferEncoding && f.contentLength >= 0) return 'bad';
  let body: BodyKind;
  if (headRequest || status < 200 || status === 204 || status === 304) body = 'none';
  else if (f.transferEncoding) body = f.chunked ? 'chunked' : 'close';
  else if (f.contentLength >= 0) body = f.contentLength === 0 ? 'none' : 'length';
  else body = 'close';
  const keepAlive = body !== 'close' && (minor === 1 ? !f.connectionClose : f.connectionKeepAlive && !f.connectionClose);
  return { status, minor, statusAt: 9, length, body, contentLength: f.contentLength, keepAlive, keepAliveTimeout: f.keepAliveTimeout };
}
