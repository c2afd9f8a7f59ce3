/**
 * The `cookie NAME insert` persistence cookie, as HAProxy 2.6 handles it
 * (src/http_ana.c: http_manage_client_side_cookies on the request,
 * http_process_res_common on the response):
 *   - request: each `NAME=VALUE` pair of the Cookie headers is read (attributes starting
 *     with `$` and pairs without `=` are left alone; a `|date` suffix is not part of the
 *     value); the first server, in declaration order, whose `cookie` equals VALUE and is not
 *     down takes the request directly, without the balancer. A matching server that is down
 *     is skipped; with none usable the request is balanced. With `indirect`, every NAME pair
 *     is removed before the request reaches the server, and a Cookie header left empty goes.
 *   - response: unless the request went directly to its server, `Set-Cookie: NAME=VALUE;
 *     path=/` (plus `; HttpOnly`, `; Secure`) names the server that answered (`NAME=;
 *     Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/` for a server without a cookie), only
 *     on POST with `postonly`; with `nocache`, `Cache-control: private` follows it when the
 *     response was cacheable (cacheability.ts).
 */
import type { CookieConfig } from '../config/model.js';
import { responseCacheable } from './cacheability.js';

export interface CookieServer {
  readonly up: boolean;
  readonly config: { readonly cookie?: string };
}

export interface CookieRequest<S> {
  /** The server the cookie names and may use: the request goes to it directly. */
  server?: S;
  /**
   * The cookie carried `|last-seen[|first-seen]` dates that ask for a fresh Set-Cookie even
   * on a direct request (a last-seen date in the past, or any first-seen date: haplab runs
   * no maxidle/maxlife, so HAProxy re-issues the cookie without them).
   */
  refresh: boolean;
  /** The Cookie headers as the server must see them (indirect removes the persistence pair). */
  rawHeaders: readonly string[];
}

interface Pair {
  text: string;
  name?: string;
  value?: string;
}

function splitPairs(value: string): Pair[] {
  return value.split(';').map((segment) => {
    const text = segment.trim();
    const eq = text.indexOf('=');
    if (text.startsWith('$') || eq < 0) return { text };
    return { text, name: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() };
  });
}

/** Reads the request's persistence cookie; `servers` in declaration order. */
export function cookieRequest<S extends CookieServer>(config: CookieConfig, servers: readonly S[], rawHeaders: readonly string[]): CookieRequest<S> {
  let server: S | undefined;
  let out: string[] | undefined;
  let dates = { last: 0, first: 0 };
  for (let k = 0; k < rawHeaders.length; k += 2) {
    const isCookie = rawHeaders[k]!.length === 6 && rawHeaders[k]!.toLowerCase() === 'cookie';
    if (!isCookie) {
      out?.push(rawHeaders[k]!, rawHeaders[k + 1]!);
      continue;
    }
    let removed = false;
    const kept: string[] = [];
    for (const pair of splitPairs(rawHeaders[k + 1]!)) {
      if (pair.name !== config.name) {
        if (pair.text !== '') kept.push(pair.text);
        continue;
      }
      const bar = pair.value!.indexOf('|');
      const wanted = bar < 0 ? pair.value! : pair.value!.slice(0, bar);
      if (bar >= 0) dates = cookieDates(pair.value!.slice(bar + 1), dates);
      // An empty value, or a request already assigned by an earlier pair, names no server.
      if (wanted !== '' && server === undefined) server = servers.find((s) => s.config.cookie === wanted && s.up);
      if (config.indirect) removed = true;
      else kept.push(pair.text);
    }
    if (removed) out ??= rawHeaders.slice(0, k);
    if (!out) continue;
    if (!removed) out.push(rawHeaders[k]!, rawHeaders[k + 1]!);
    else if (kept.length > 0) out.push(rawHeaders[k]!, kept.join('; '));
  }
  const refresh = (dates.last !== 0 && dates.last - Math.floor(Date.now() / 1000) < 0) || dates.first !== 0;
  return { server, refresh, rawHeaders: out ?? rawHeaders };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** HAProxy's b64tos30: five base64 characters to a 30-bit number, -1 on a bad character. */
function b64tos30(text: string): number {
  let out = 0;
  for (let i = 0; i < 5; i++) {
    const v = B64.indexOf(text[i]!);
    if (v < 0) return -1;
    out = out * 64 + v;
  }
  return out;
}

/**
 * The dates after the server's value (`VALUE|LAST[|FIRST]`), in 4-second units, read as
 * http_manage_client_side_cookies reads them (into C ints: `<< 2` wraps as int32 does).
 */
function cookieDates(afterBar: string, previous: { last: number; first: number }): { last: number; first: number } {
  const dates = { ...previous };
  if (afterBar.length >= 5) {
    const val = b64tos30(afterBar);
    if (val > 0) dates.last = (val << 2) | 0;
  }
  const second = afterBar.indexOf('|');
  if (second >= 0 && afterBar.length - second > 5) {
    const val = b64tos30(afterBar.slice(second + 1));
    if (val > 0) dates.first = (val << 2) | 0;
  }
  return dates;
}

/** The headers to add to a response from `server` (Node's rawHeaders form). */
export function cookieResponse(
  config: CookieConfig,
  server: CookieServer,
  /** Persistence chose the server, no redispatch since, and the cookie asked no refresh. */
  direct: boolean,
  method: string,
  status: number,
  responseHeaders: readonly string[],
): string[] {
  if (direct || (config.postonly && method !== 'POST')) return [];
  let value = server.config.cookie === undefined ? `${config.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/` : `${config.name}=${server.config.cookie}; path=/`;
  if (config.httponly) value += '; HttpOnly';
  if (config.secure) value += '; Secure';
  const out = ['Set-Cookie', value];
  if (config.nocache && responseCacheable(method, status, responseHeaders)) out.push('Cache-control', 'private');
  return out;
}
