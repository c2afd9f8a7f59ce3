/**
 * A backend's session persistence in a lab spec (ep10): the persistence cookie, the stick
 * table and `option redispatch`, refused here as HAProxy would refuse the lines they render;
 * and the README guide the newer labs carry.
 */
import { Checker, isObj, MAX_LENGTH, type Obj } from './checker.js';

/** A cookie name or value HAProxy writes into Set-Cookie unquoted: an RFC 6265 token. */
const COOKIE_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function checkSessions(c: Checker, b: Obj, path: (string | number)[]): void {
  c.flag(b, 'redispatch', path);
  const servers = Array.isArray(b.servers) ? b.servers.filter(isObj) : [];
  if (b.cookie !== undefined) {
    const at = [...path, 'cookie'];
    if (!isObj(b.cookie)) c.fail(at, "'cookie' must be a mapping with name (and indirect, nocache)");
    else {
      c.strict(b.cookie, 'cookie', at, `the cookie of backend ${String(b.name)}`);
      c.string(b.cookie, 'name', at, COOKIE_TOKEN);
      c.flag(b.cookie, 'indirect', at);
      c.flag(b.cookie, 'nocache', at);
    }
  }
  servers.forEach((s, j) => {
    if (s.cookie === undefined) return;
    const at = [...path, 'servers', j];
    c.string(s, 'cookie', at, COOKIE_TOKEN);
    if (b.cookie === undefined) c.fail([...at, 'cookie'], `server ${String(s.name)} has a cookie but backend ${String(b.name)} has none`, 'add cookie: { name: SERVERID, indirect: true } to the backend');
  });
  if (b.healthCheck !== undefined) {
    const at = [...path, 'healthCheck'];
    if (!isObj(b.healthCheck)) c.fail(at, "'healthCheck' must be a mapping with path, expectStatus, interMs, fall and rise");
    else {
      const h = b.healthCheck;
      c.strict(h, 'healthCheck', at, `the health check of backend ${String(b.name)}`);
      const p = c.string(h, 'path', at, /^\/[A-Za-z0-9/_.-]*$/);
      void p;
      if (typeof h.expectStatus !== 'number' || !Number.isInteger(h.expectStatus) || h.expectStatus < 100 || h.expectStatus > 599) c.fail([...at, 'expectStatus'], 'expectStatus must be an HTTP status (100–599)');
      if (typeof h.interMs !== 'number' || !Number.isInteger(h.interMs) || h.interMs <= 0) c.fail([...at, 'interMs'], 'interMs must be a whole, positive number of milliseconds');
      for (const k of ['fall', 'rise']) if (typeof h[k] !== 'number' || !Number.isInteger(h[k]) || (h[k] as number) < 1) c.fail([...at, k], `${k} must be a whole number ≥ 1`);
    }
  }
  if (b.stickTable !== undefined) {
    const at = [...path, 'stickTable'];
    if (!isObj(b.stickTable)) return c.fail(at, "'stickTable' must be a mapping with size and expireMs");
    c.strict(b.stickTable, 'stickTable', at, `the stick table of backend ${String(b.name)}`);
    const size = b.stickTable.size;
    if (typeof size !== 'string' || !/^[1-9][0-9]*[kmg]?$/.test(size)) c.fail([...at, 'size'], `stick table size ${JSON.stringify(size)} is not a size`, 'write e.g. "100k" (k, m, g are powers of 1024)');
    const expire = b.stickTable.expireMs;
    if (typeof expire !== 'number' || !Number.isInteger(expire) || expire <= 0 || expire > 2_147_483_647) {
      c.fail([...at, 'expireMs'], 'expireMs must be a whole, positive number of milliseconds');
    }
  }
}

/** The README guide: lists of short texts (echoed into README.md). */
export function checkGuide(c: Checker, raw: Obj): void {
  if (raw.guide === undefined) return;
  if (!isObj(raw.guide)) return c.fail(['guide'], "'guide' must be a mapping with concept and tryByHand");
  c.strict(raw.guide, 'guide', ['guide'], 'the guide');
  for (const key of ['concept', 'tryByHand'] as const) {
    const list = raw.guide[key];
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length > 0 && x.length <= MAX_LENGTH.note)) {
      c.fail(['guide', key], `guide.${key} must be a list of texts of at most ${MAX_LENGTH.note} characters`);
    }
  }
}
