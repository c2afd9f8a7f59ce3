/**
 * The request head parser: `METHOD SP target SP HTTP/1.x CRLF`, header lines, CRLF.
 * It refuses what Node's parser refused (unknown or lower-case methods, versions other
 * than 1.0 and 1.1, bare LF, obs-fold, control bytes, a bad or repeated Content-Length,
 * Content-Length beside Transfer-Encoding, a request coding that does not end in
 * chunked, no Host in HTTP/1.1), and with http-limits.ts what HAProxy 2.6 refuses.
 */
import { METHODS } from 'node:http';
import { CR, LF, SP, TARGET, TOKEN } from './chars.js';
import { HeaderLines } from './header-lines.js';
import { hostConflict } from '../http-headers.js';
import { refusedHead } from '../http-limits.js';

/** No head HAProxy accepts is longer (tune.bufsize): past this without its end, 400. */
export const MAX_HEAD_BYTES = 16384;

/** CONNECT is not proxied: the connection is closed, as Node's server did without a handler. */
const KNOWN_METHODS = new Set(METHODS.filter((m) => m !== 'CONNECT'));
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

export interface RequestHead {
  method: string;
  uri: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Node's rawHeaders form: name, value, name, value… in arrival order. */
  rawHeaders: string[];
  /** Bytes of the head, CRLFCRLF included. */
  length: number;
  /** -1: no Content-Length. */
  contentLength: number;
  chunked: boolean;
  /** The client keeps the connection after this exchange. */
  keepAlive: boolean;
  /** A Host line was sent. */
  hasHost: boolean;
}

export type HeadResult = RequestHead | 'incomplete' | 'bad';

function methodOf(buf: Buffer, end: number): string | undefined {
  // GET without building a string: nearly every request.
  if (end === 3 && buf[0] === 0x47 && buf[1] === 0x45 && buf[2] === 0x54) return 'GET';
  const method = buf.toString('latin1', 0, end);
  return KNOWN_METHODS.has(method) ? method : undefined;
}

/** Looks for the end of the head; refuses early what can never become a valid head. */
export function findHeadEnd(buf: Buffer, scannedFrom: number): number | 'bad' | 'incomplete' {
  const end = buf.indexOf('\r\n\r\n', Math.max(0, scannedFrom - 3), 'latin1');
  const limit = end < 0 ? buf.length : end;
  // A bare LF can never end a line: refuse at once rather than wait for a CRLFCRLF.
  for (let k = buf.indexOf(LF, scannedFrom); k >= 0 && k < limit; k = buf.indexOf(LF, k + 1)) {
    if (k === 0 || buf[k - 1] !== CR) return 'bad';
  }
  if (end >= 0) return end + 4 > MAX_HEAD_BYTES ? 'bad' : end + 4;
  return buf.length >= MAX_HEAD_BYTES ? 'bad' : 'incomplete';
}

/** Parses a complete head buf[0, headEnd); `lines` receives the header offsets. */
export function parseRequestHead(buf: Buffer, headEnd: number, lines: HeaderLines): RequestHead | 'bad' {
  let pos = 0;
  while (pos < headEnd && TOKEN[buf[pos]!] === 1) pos++;
  const method = pos > 0 && buf[pos] === SP ? methodOf(buf, pos) : undefined;
  if (method === undefined) return 'bad';
  // Node's parser took several spaces between the parts of the request line; so do we.
  while (buf[pos] === SP) pos++;
  const targetStart = pos;
  while (pos < headEnd && TARGET[buf[pos]!] === 1) pos++;
  const targetEnd = pos;
  if (targetEnd === targetStart || buf[pos] !== SP) return 'bad';
  while (buf[pos] === SP) pos++;
  // HTTP/1.0 or HTTP/1.1, then CRLF.
  if (
    buf[pos] !== 0x48 || buf[pos + 1] !== 0x54 || buf[pos + 2] !== 0x54 || buf[pos + 3] !== 0x50 ||
    buf[pos + 4] !== 0x2f || buf[pos + 5] !== 0x31 || buf[pos + 6] !== 0x2e ||
    (buf[pos + 7] !== 0x30 && buf[pos + 7] !== 0x31) || buf[pos + 8] !== CR || buf[pos + 9] !== LF
  ) {
    return 'bad';
  }
  const minor = buf[pos + 7]! - 0x30;
  const length = lines.parse(buf, pos + 10, headEnd);
  if (length !== headEnd) return 'bad';
  const f = lines.framing;
  if (f.transferEncoding && (!f.chunked || f.contentLength >= 0)) return 'bad';

  const rawHeaders: string[] = new Array<string>(lines.count * 2);
  let hasHost = false;
  for (let k = 0; k < lines.count; k++) {
    const nameStart = lines.nameStart(k);
    const nameEnd = lines.nameEnd(k);
    rawHeaders[2 * k] = nameEnd - nameStart === 4 && lines.nameIs(buf, k, 'host') ? ((hasHost = true), hostName(buf, nameStart)) : buf.toString('latin1', nameStart, nameEnd);
    rawHeaders[2 * k + 1] = buf.toString('latin1', lines.valueStart(k), lines.valueEnd(k));
  }
  if (minor === 1 && !hasHost) return 'bad';
  const uri = buf.toString('latin1', targetStart, targetEnd);
  // origin-form, asterisk-form or absolute-form; Node's parser refused anything else.
  if (uri[0] !== '/' && uri[0] !== '*' && !ABSOLUTE_FORM.test(uri)) return 'bad';
  const head: RequestHead = {
    method,
    uri,
    minor,
    rawHeaders,
    length,
    contentLength: f.contentLength,
    chunked: f.chunked,
    keepAlive: minor === 1 ? !f.connectionClose : f.connectionKeepAlive && !f.connectionClose,
    hasHost,
  };
  if (hostConflict(uri, rawHeaders) || refusedHead({ method, url: uri, httpVersionMajor: 1, rawHeaders })) return 'bad';
  return head;
}

/** "Host" as sent, without a fresh string for the usual spelling. */
function hostName(buf: Buffer, start: number): string {
  return buf[start] === 0x48 && buf[start + 1] === 0x6f && buf[start + 2] === 0x73 && buf[start + 3] === 0x74 ? 'Host' : buf.toString('latin1', start, start + 4);
}
