/**
 * The pure judges of session persistence (persistence.ts plans and sends): responses and
 * what the spec says in, checks out. A cookie client is a sequence of requests carrying the
 * cookie it was given; a stick client is a source address.
 */
import type { BackendSpec, CookieSpec, ServerSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { activeServers, answerLabel, serverOf } from '../observe.js';
import type { Check } from '../report/types.js';

/** Requests per returning client (or address) so that staying on one server by chance has probability ≤ alpha. */
export function stickyRounds(backend: BackendSpec, alpha: number): number {
  const servers = activeServers(backend);
  const total = servers.reduce((s, x) => s + x.weight, 0);
  const pMax = total > 0 ? Math.max(...servers.map((s) => s.weight / total)) : 1;
  if (pMax >= 1) return 3;
  return Math.max(3, Math.ceil(Math.log(alpha) / Math.log(pMax)));
}

/** The Set-Cookie HAProxy's `cookie NAME insert` gives a client of `server`. */
export function expectedSetCookie(cookie: CookieSpec, server: ServerSpec | undefined): string {
  return server?.cookie === undefined ? `${cookie.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/` : `${cookie.name}=${server.cookie}; path=/`;
}

/** The cookie value a Set-Cookie gives (`NAME=VALUE; …`), or undefined. */
export function cookieValue(cookie: CookieSpec, setCookie: string | undefined): string | undefined {
  const first = setCookie?.split('\n').find((line) => line.startsWith(`${cookie.name}=`));
  const value = first?.slice(cookie.name.length + 1).split(';')[0];
  return value === '' ? undefined : value;
}

function serverSpec(backend: BackendSpec, r: ProbeResponse): ServerSpec | undefined {
  const name = serverOf(backend, r);
  return backend.servers.find((s) => s.name === name);
}

function ok(r: ProbeResponse): boolean {
  return r.status >= 200 && r.status < 300;
}

function summary(name: string, expected: string, total: number, bad: string[]): Check {
  return {
    name,
    expected,
    observed: `${total - bad.length}/${total}`,
    pass: total > 0 && bad.length === 0,
    detail: bad.length === 0 ? `all ${total} as expected` : `${bad.length} not: ${bad.slice(0, 3).join('; ')}`,
  };
}

/** New clients (no cookie): answered, and told the server that answered them. */
export function judgeIssued(prefix: string, backend: BackendSpec, cookie: CookieSpec, responses: readonly ProbeResponse[]): Check {
  const bad: string[] = [];
  responses.forEach((r, i) => {
    const server = serverSpec(backend, r);
    const want = expectedSetCookie(cookie, server);
    const got = r.headers?.['set-cookie'];
    if (!ok(r) || !server) bad.push(`#${i + 1} ${answerLabel(backend, r)}`);
    else if (got !== want) bad.push(`#${i + 1} from ${server.name}: Set-Cookie ${got === undefined ? 'absent' : JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  });
  return summary(`${prefix}.issued`, `each new client answered and given "Set-Cookie: ${cookie.name}=<its server's cookie>; path=/"`, responses.length, bad);
}

export interface ReturningRequest {
  /** The server whose cookie the client sent. */
  server: string;
  response: ProbeResponse;
}

/** Clients sending their cookie back: each request on its server, with no new Set-Cookie. */
export function judgeReturning(prefix: string, backend: BackendSpec, cookie: CookieSpec, rounds: number, requests: readonly ReturningRequest[]): Check[] {
  const moved: string[] = [];
  const reissued: string[] = [];
  requests.forEach(({ server, response }, i) => {
    const got = serverOf(backend, response);
    if (!ok(response) || got !== server) moved.push(`#${i + 1} with the cookie of ${server} answered by ${answerLabel(backend, response)}`);
    else if (response.headers?.['set-cookie'] !== undefined) reissued.push(`#${i + 1} (${server}) got Set-Cookie ${JSON.stringify(response.headers['set-cookie'])}`);
  });
  return [
    {
      ...summary(`${prefix}.sticky`, `every request carrying ${cookie.name} answered by the server it names (${rounds} rounds per client)`, requests.length, moved),
      detail: moved.length === 0
        ? `all ${requests.length} on their server; by chance under plain balancing each client would stay with probability ≤ ${stickyChance(backend, rounds)}`
        : `${moved.length} moved: ${moved.slice(0, 3).join('; ')}`,
    },
    summary(`${prefix}.not-reissued`, `no Set-Cookie to a client whose cookie was honoured`, requests.length, reissued),
  ];
}

function stickyChance(backend: BackendSpec, rounds: number): string {
  const servers = activeServers(backend);
  const total = servers.reduce((s, x) => s + x.weight, 0);
  const pMax = Math.max(...servers.map((s) => s.weight / total));
  return (pMax ** rounds).toExponential(1);
}

/**
 * What the app saw of the Cookie header (the echo route's body, `Cookie: …`): with
 * `indirect` never the persistence cookie, and always the client's other cookie; without,
 * the persistence cookie too.
 */
export function judgeIndirect(prefix: string, cookie: CookieSpec, otherCookie: string, bodies: readonly string[]): Check {
  const indirect = cookie.indirect === true;
  const bad: string[] = [];
  bodies.forEach((body, i) => {
    const pairs = body.replace(/^Cookie:\s*/, '').split(';').map((p) => p.trim());
    const sawOurs = pairs.some((p) => p.startsWith(`${cookie.name}=`));
    const sawOther = pairs.includes(otherCookie);
    if (sawOurs === indirect || !sawOther) bad.push(`#${i + 1} the app saw ${JSON.stringify(body)}`);
  });
  return summary(
    `${prefix}.${indirect ? 'indirect' : 'direct'}`,
    indirect ? `the app never sees ${cookie.name} (indirect) but sees the client's ${otherCookie}` : `the app sees ${cookie.name} and ${otherCookie} (no indirect)`,
    bodies.length,
    bad,
  );
}

/**
 * A client whose server was stopped: answered by another server, which `option redispatch`
 * (or the server marked down) allows, with a new cookie naming it; then sticking to it.
 */
export function judgeRedispatch(prefix: string, backend: BackendSpec, cookie: CookieSpec, stopped: string, moved: ProbeResponse, after: ProbeResponse): Check {
  const server = serverSpec(backend, moved);
  const want = expectedSetCookie(cookie, server);
  const problems: string[] = [];
  if (!ok(moved) || !server) problems.push(`the request with ${stopped}'s cookie got ${answerLabel(backend, moved)}${moved.error ? ` (${moved.error})` : ''}`);
  else if (server.name === stopped) problems.push(`answered by the stopped server ${stopped}`);
  else if (moved.headers?.['set-cookie'] !== want) problems.push(`Set-Cookie ${JSON.stringify(moved.headers?.['set-cookie'] ?? null)}, expected ${JSON.stringify(want)}`);
  else if (serverOf(backend, after) !== server.name || after.headers?.['set-cookie'] !== undefined) problems.push(`with the new cookie the next request went to ${answerLabel(backend, after)}${after.headers?.['set-cookie'] ? ' and got another Set-Cookie' : ''}`);
  return {
    name: `${prefix}.redispatch`,
    expected: `with ${stopped} stopped, its client is answered by another server, gets that server's cookie, and stays there`,
    observed: problems.length === 0 ? `moved to ${server!.name}, new cookie ${want.split(';')[0]}, stayed` : 'no',
    pass: problems.length === 0,
    detail: problems.length === 0 ? `${stopped} stopped: redispatched to ${server!.name} with a new cookie` : problems.join('; '),
  };
}

/** Source addresses coming back: each on the server its first request got. */
export function judgeStuck(name: string, expected: string, backend: BackendSpec, first: ReadonlyMap<string, string | undefined>, later: readonly { address: string; response: ProbeResponse }[]): Check {
  const bad: string[] = [];
  for (const { address, response } of later) {
    const got = serverOf(backend, response);
    if (!ok(response) || got === undefined || got !== first.get(address)) bad.push(`${address}: ${first.get(address) ?? '?'} then ${answerLabel(backend, response)}`);
  }
  return summary(name, expected, later.length, bad);
}
