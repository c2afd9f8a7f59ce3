/**
 * Request heads that HAProxy 2.6's H1 parser refuses with 400 but a plain HTTP/1.1 parser lets
 * through, checked once http1/request-head.ts has parsed them (measured against Debian's haproxy 2.6.12
 * with the default tune.bufsize 16384, tune.maxrewrite 1024, tune.http.maxhdr 101):
 *   - HTTP/0.9 (a request line without a version);
 *   - a `#` anywhere in the request target (fragments are refused since CVE-2023-45539);
 *   - more than 101 header lines, which Node would otherwise silently truncate;
 *   - a header name longer than 255 bytes (HTX keeps name lengths in 8 bits);
 *   - a head whose HTX form does not stay under the buffer minus the rewrite reserve
 *     (measured: 15311 bytes pass, 15312 do not).
 */

/** tune.http.maxhdr. */
export const MAX_HEADERS = 101;
const MAX_NAME_LENGTH = 255;
/** tune.bufsize − sizeof(struct htx) − tune.maxrewrite: 16384 − 48 − 1024. */
const HTX_ROOM = 16384 - 48 - 1024;
/** struct htx_blk (address + info) in front of every block. */
const BLOCK = 8;
/** struct htx_sl before the start line's three parts. */
const START_LINE = 20;

/** What the check reads from a parsed request head (http1/request-head.ts). */
export interface ParsedHead {
  method: string;
  url: string;
  httpVersionMajor: number;
  rawHeaders: readonly string[];
}

/** The `Connection` value HAProxy keeps once it has consumed close/keep-alive. */
function keptConnectionValue(value: string): string {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && !/^(close|keep-alive)$/i.test(t))
    .join(', ');
}

/** True when HAProxy would answer this head with 400. */
export function refusedHead(head: ParsedHead): boolean {
  if (head.httpVersionMajor === 0) return true;
  if (head.url.includes('#')) return true;
  const raw = head.rawHeaders;
  if (raw.length / 2 > MAX_HEADERS) return true;
  // The start line block carries method, target and "HTTP/x.y"; the end-of-headers block is empty.
  let used = BLOCK + START_LINE + head.method.length + head.url.length + 8 + BLOCK;
  for (let k = 0; k < raw.length; k += 2) {
    const name = raw[k]!;
    if (name.length > MAX_NAME_LENGTH) return true;
    let value = raw[k + 1]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      value = keptConnectionValue(value);
      if (value === '') continue;
    }
    used += BLOCK + name.length + value.length;
  }
  return used >= HTX_ROOM;
}
