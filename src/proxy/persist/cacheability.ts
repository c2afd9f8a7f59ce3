/**
 * Whether a response is one a cache could store, as HAProxy 2.6 decides it before `cookie
 * … nocache` adds `Cache-control: private` (src/http_ana.c: the request's method,
 * http_process_res_common's status list, http_check_response_for_cacheability): a GET,
 * HEAD, OPTIONS or TRACE request; a status cacheable by default (RFC 9111); no `Pragma:
 * no-cache`, no Cache-Control private/no-cache/no-store/s-maxage=0 or a lone max-age=0; and
 * freshness (max-age, s-maxage, Expires) or a validator (ETag, Last-Modified).
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

function values(raw: readonly string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < raw.length; k += 2) {
    if (raw[k]!.toLowerCase() === lowerName) out.push(...raw[k + 1]!.split(',').map((v) => v.trim()));
  }
  return out;
}

export function responseCacheable(method: string, status: number, raw: readonly string[]): boolean {
  if (!SAFE_METHODS.has(method) || !CACHEABLE_STATUS.has(status)) return false;
  for (let k = 0; k < raw.length; k += 2) {
    if (raw[k]!.toLowerCase() === 'pragma' && raw[k + 1]!.trim().toLowerCase() === 'no-cache') return false;
  }
  let cacheable = true;
  let freshness = false;
  let nullMaxAge = false;
  for (const directive of values(raw, 'cache-control').map((v) => v.toLowerCase())) {
    if (directive === 'public') cacheable = true;
    else if (directive === 'max-age=0') nullMaxAge = true;
    else if (directive === 'no-cache="set-cookie"') continue;
    else if (/^(private|no-cache|no-store)(=|$)/.test(directive) || directive === 's-maxage=0') cacheable = false;
    else if (directive.startsWith('s-maxage')) {
      freshness = true;
      nullMaxAge = false;
    } else if (directive.startsWith('max-age')) freshness = true;
  }
  if (nullMaxAge) cacheable = false;
  if (!freshness) freshness = values(raw, 'expires').length > 0;
  const validator = values(raw, 'etag').length > 0 || values(raw, 'last-modified').length > 0;
  return cacheable && (freshness || validator);
}
