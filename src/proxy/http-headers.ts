/**
 * Header rewriting between client and server: hop-by-hop headers (RFC 9110 §7.6.1)
 * stay on their own connection, everything else passes in its original order and case.
 * Transfer-Encoding is kept: Node re-frames the body by it on the other side.
 */
const ALWAYS_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

/** Node's client chunks a body for these methods unless told a length; we say 0 when there is none. */
const CHUNKED_BY_DEFAULT = new Set(['POST', 'PUT', 'PATCH']);

function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let k = 0; k < raw.length; k += 2) {
    if (raw[k]!.length === 10 && raw[k]!.toLowerCase() === 'connection') {
      for (const t of raw[k + 1]!.split(',')) {
        const name = t.trim().toLowerCase();
        if (name) (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}

/** Copies `raw` (Node's rawHeaders form) without hop-by-hop headers. */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let k = 0; k < raw.length; k += 2) {
    const name = raw[k]!;
    const lower = name.toLowerCase();
    if (ALWAYS_HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(name, raw[k + 1]!);
  }
  return out;
}

export function hasHeader(raw: readonly string[], lowerName: string): boolean {
  for (let k = 0; k < raw.length; k += 2) if (raw[k]!.toLowerCase() === lowerName) return true;
  return false;
}

/**
 * Request headers for the server; `forwardedFor` adds e.g. X-Forwarded-For as a new line.
 * Node always speaks HTTP/1.1 upstream, where Host is mandatory: an HTTP/1.0 request
 * without one (which HAProxy would forward as 1.0) gets the URI's authority, or else
 * `serverHost`.
 */
export function upstreamRequestHeaders(
  method: string,
  uri: string,
  raw: readonly string[],
  forwardedFor: { header: string; value: string } | undefined,
  serverHost: string,
): string[] {
  const out = endToEndHeaders(raw);
  if (!hasHeader(out, 'host')) out.unshift('Host', uriAuthority(uri) ?? serverHost);
  if (forwardedFor) out.push(forwardedFor.header, forwardedFor.value);
  if (CHUNKED_BY_DEFAULT.has(method) && !hasHeader(out, 'content-length') && !hasHeader(out, 'transfer-encoding')) {
    out.push('Content-Length', '0');
  }
  return out;
}

/**
 * HAProxy's H1 parser rejects (400) a request whose Host headers disagree with each
 * other, or whose first Host differs from the authority of an absolute-form URI.
 */
export function hostConflict(uri: string, raw: readonly string[]): boolean {
  let host: string | undefined;
  for (let k = 0; k < raw.length; k += 2) {
    if (raw[k]!.length !== 4 || raw[k]!.toLowerCase() !== 'host') continue;
    const value = raw[k + 1]!.trim().toLowerCase();
    if (host === undefined) host = value;
    else if (host !== value) return true;
  }
  if (host === undefined || uri[0] === '/') return false;
  const authority = uriAuthority(uri);
  return authority !== undefined && authority !== '' && authority.toLowerCase() !== host;
}

/** The authority of an absolute-form URI, without user info (HAProxy's http_parse_authority). */
export function uriAuthority(uri: string): string | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
  if (!scheme) return undefined;
  const slash = uri.indexOf('/', scheme[0].length);
  const authority = uri.slice(scheme[0].length, slash < 0 ? uri.length : slash);
  const at = authority.lastIndexOf('@');
  return at < 0 ? authority : authority.slice(at + 1);
}
