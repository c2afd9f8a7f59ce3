/**
 * What `http-request set-header` and `http-request redirect scheme` do to a request, as
 * HAProxy 2.6 does it (src/http_act.c, src/http_ana.c http_apply_redirect_rule):
 *  - set-header removes every line of that name (any case) and adds one at the end;
 *  - redirect scheme answers `code` (302 by default) with Location `SCHEME://HOST PATH`,
 *    HOST the Host header as sent (port included) and PATH the request's path and query
 *    (an absolute-form target gives its own); with no Host, HAProxy writes no authority.
 */
import { headerLines, uriPathWithQuery } from './fetch.js';
import type { RequestFacts, RouteDecision } from './types.js';

export function withHeader(headers: RequestFacts['headers'], name: string, value: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  if (Array.isArray(headers)) {
    const flat = headers as readonly string[];
    for (let k = 0; k + 1 < flat.length; k += 2) if (flat[k]!.toLowerCase() !== lower) out.push(flat[k]!, flat[k + 1]!);
  } else {
    for (const [key, v] of Object.entries(headers as Readonly<Record<string, string | readonly string[]>>)) {
      if (key.toLowerCase() === lower) continue;
      for (const one of typeof v === 'string' ? [v] : v) out.push(key, one);
    }
  }
  out.push(name, value);
  return out;
}

export function redirectTo(redirect: { scheme: string; code: number }, request: RequestFacts): RouteDecision {
  const host = headerLines(request, 'host')[0]?.trim() ?? '';
  const path = uriPathWithQuery(request.uri) ?? '/';
  return { action: 'redirect', status: redirect.code, location: `${redirect.scheme}://${host}${path}` };
}
