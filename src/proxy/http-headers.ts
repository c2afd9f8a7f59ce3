/**
 * Request header checks on Node's rawHeaders form (name, value, name, value…): whether a
 * header is there, Host conflicts HAProxy refuses, and an absolute URI's authority. The
 * rewriting between client and server is in http1/serialize.ts.
 */
export function hasHeader(raw: readonly string[], lowerName: string): boolean {
  for (let k = 0; k < raw.length; k += 2) if (raw[k]!.toLowerCase() === lowerName) return true;
  return false;
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
