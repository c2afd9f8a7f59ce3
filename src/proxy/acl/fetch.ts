/**
 * Sample fetches, as HAProxy 2.6 computes them (src/http_fetch.c, src/http.c):
 *   - path: the URI's path, without the query string; for an absolute URI the part
 *     after the authority; nothing at all for `*` or an authority-only URI;
 *   - url: the request target exactly as received;
 *   - hdr(name): in an ACL, every comma-separated value of every occurrence of the
 *     header, trimmed of spaces and tabs, commas inside double quotes not splitting.
 */
import { parseIp } from './ip.js';
import { sslHelloSni, sslHelloType } from '../tls/client-hello.js';
import type { FetchSpec, RequestFacts, Sample } from './types.js';

const NO_SAMPLES: readonly Sample[] = [];

const LAYER7 = new Set(['path', 'url', 'method', 'hdr', 'req.ver']);

export function fetchSamples(fetch: FetchSpec, request: RequestFacts): readonly Sample[] {
  if (request.layer4Only && LAYER7.has(fetch.name)) return NO_SAMPLES;
  switch (fetch.name) {
    case 'path': {
      const path = uriPath(request.uri);
      return path === undefined ? NO_SAMPLES : [{ kind: 'str', value: path }];
    }
    case 'url':
      return [{ kind: 'str', value: request.uri }];
    case 'method':
      return [{ kind: 'method', value: request.method }];
    case 'src': {
      const ip = parseIp(request.sourceAddress);
      return ip ? [{ kind: 'ip', value: ip }] : NO_SAMPLES;
    }
    case 'hdr': {
      const values = headerValues(request, fetch.headerName ?? '');
      const occ = fetch.occurrence ?? 0;
      if (occ === 0) return values.map((value) => ({ kind: 'str', value }));
      const picked = occ > 0 ? values[occ - 1] : values[values.length + occ];
      return picked === undefined ? NO_SAMPLES : [{ kind: 'str', value: picked }];
    }
    case 'req.ver':
      return [{ kind: 'str', value: request.httpVersion ?? '1.1' }];
    case 'always_true':
      return [{ kind: 'bool', value: true }];
    case 'always_false':
      return [{ kind: 'bool', value: false }];
    case 'req.ssl_sni': {
      const sni = request.payload ? sslHelloSni(request.payload) : undefined;
      return typeof sni === 'string' ? [{ kind: 'str', value: sni }] : NO_SAMPLES;
    }
    case 'req.ssl_hello_type': {
      const type = request.payload ? sslHelloType(request.payload) : undefined;
      return typeof type === 'number' ? [{ kind: 'int', value: type }] : NO_SAMPLES;
    }
    case 'ssl_fc':
      return [{ kind: 'bool', value: request.tls === true }];
    case 'sc_http_req_rate':
    case 'sc_http_req_cnt': {
      // Nothing tracked on this counter: the fetch fails and the ACL does not match.
      const counters = request.counters;
      const n = fetch.counter ?? 0;
      const value = fetch.name === 'sc_http_req_rate' ? counters?.httpReqRate(n) : counters?.httpReqCnt(n);
      return value === undefined ? NO_SAMPLES : [{ kind: 'int', value }];
    }
  }
}

/** The path and query of a request target (HAProxy's http_parse_path). */
export function uriPathWithQuery(uri: string): string | undefined {
  if (uri.length === 0 || uri[0] === '*') return undefined;
  if (uri[0] === '/') return uri;
  // absolute-form: scheme "://" authority path; anything else is authority-form.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
  if (!scheme) return undefined;
  const slash = uri.indexOf('/', scheme[0].length);
  return slash < 0 ? undefined : uri.slice(slash);
}

/** The path part of a request target: path and query, stopped at '?'. */
export function uriPath(uri: string): string | undefined {
  const path = uriPathWithQuery(uri);
  if (path === undefined) return undefined;
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

/** Every header line with this name (case-insensitive), in order; '' means every header. */
export function headerLines(request: RequestFacts, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  const headers = request.headers;
  if (Array.isArray(headers)) {
    const flat = headers as readonly string[];
    for (let k = 0; k + 1 < flat.length; k += 2) {
      if (wanted === '' || flat[k]!.toLowerCase() === wanted) out.push(flat[k + 1]!);
    }
    return out;
  }
  const record = headers as Readonly<Record<string, string | readonly string[]>>;
  for (const key of Object.keys(record)) {
    if (wanted !== '' && key.toLowerCase() !== wanted) continue;
    const value = record[key]!;
    if (typeof value === 'string') out.push(value);
    else out.push(...value);
  }
  return out;
}

/** Splits header lines into list values as HAProxy's http_find_header(full=0) does. */
export function headerValues(request: RequestFacts, name: string): string[] {
  const out: string[] = [];
  for (const line of headerLines(request, name)) splitListValue(line, out);
  return out;
}

function isLinearWhitespace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

function splitListValue(line: string, out: string[]): void {
  let start = 0;
  for (;;) {
    let end = start;
    let quoted = false;
    let escaped = false;
    for (; end < line.length; end++) {
      const ch = line[end];
      if (escaped) escaped = false;
      else if (quoted) {
        if (ch === '\\') escaped = true;
        else if (ch === '"') quoted = false;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') break;
    }
    let a = start;
    let b = end;
    while (a < b && isLinearWhitespace(line[a])) a++;
    while (b > a && isLinearWhitespace(line[b - 1])) b--;
    out.push(line.slice(a, b));
    if (end >= line.length) return;
    start = end + 1;
  }
}
