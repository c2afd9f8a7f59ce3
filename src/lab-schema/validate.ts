/**
 * Validation of a parsed lab spec. Each problem carries the YAML path it came from, so the
 * loader can point at file:line:column. Checks mirror what HAProxy itself would refuse
 * (weights, algorithms, undefined backends) plus what a lab needs (unique names and ports).
 */
import { BadInputError } from '../errors.js';
import { parseNetwork } from '../proxy/acl/ip.js';
import { parseAclExpression } from '../proxy/acl/parse.js';
import { tokenizeLine } from '../proxy/config/tokenize.js';
import { parseStickTable } from '../proxy/stick-table/config.js';
import { ruleWords, useBackendTarget } from './rule-words.js';
import { Checker, isObj, MAX_LENGTH, tooLong, type SpecProblem } from './checker.js';
import { labPathProblem } from './lab-paths.js';
import { checkGuide, checkSessions } from './validate-sessions.js';
import { ALGORITHMS, HASH_TYPES, HTTP_ONLY_ALGORITHMS, MAX_WEIGHT, STATS_PORT_OFFSET, TS_PORT_OFFSET } from './types.js';

export type { SpecProblem } from './checker.js';

const NAME = /^[a-z][a-z0-9_-]*$/;
const HAPROXY_NAME = /^[A-Za-z0-9_.:-]+$/;
export const ACL_FETCHES = [
  'path', 'path_beg', 'path_end', 'path_sub', 'path_reg', 'path_dir', 'url', 'url_beg',
  'src', 'method', 'hdr', 'req.hdr', 'sc_http_req_rate', 'sc0_http_req_rate', 'sc_http_req_cnt', 'sc0_http_req_cnt',
] as const;

/** Validates a weight as HAProxy does: an integer 0..256. */
export function weightProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value)) return `weight ${JSON.stringify(value)} is not a whole number`;
  if (value < 0) return `weight ${value} is negative`;
  if (value > MAX_WEIGHT) return `weight ${value} is above HAProxy's maximum of ${MAX_WEIGHT}`;
  return undefined;
}

export function validateSpec(raw: unknown): SpecProblem[] {
  const c = new Checker();
  if (raw === null || raw === undefined) {
    c.fail([], 'the lab spec is empty', 'write one in the format of labs/*.yaml, or rewrite the lab with `haplab new EPISODE --force`');
    return c.problems;
  }
  if (!isObj(raw)) {
    c.fail([], 'a lab spec must be a YAML mapping');
    return c.problems;
  }
  c.strict(raw, 'spec', [], 'the lab spec');
  c.string(raw, 'id', [], /^[a-z0-9][a-z0-9_-]*$/, MAX_LENGTH.id);
  for (const key of ['title', 'episode', 'proves'] as const) c.string(raw, key, [], undefined, MAX_LENGTH[key]);
  c.oneOf(raw, 'proxy', ['haproxy', 'ts', 'both'], [], 'proxy');
  c.oneOf(raw, 'images', ['official', 'offline'], [], 'image flavor');
  if (raw.timeouts !== undefined) {
    if (!isObj(raw.timeouts)) c.fail(['timeouts'], "'timeouts' must be a mapping of connect/client/server in ms");
    else c.strict(raw.timeouts, 'timeouts', ['timeouts'], 'timeouts');
    if (isObj(raw.timeouts)) for (const k of ['connect', 'client', 'server']) {
      const v = raw.timeouts[k];
      // Rendered as `timeout … <v>ms`: HAProxy takes whole milliseconds up to 2^31 − 1.
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > 2_147_483_647) {
        c.fail(['timeouts', k], `timeout ${k} must be a whole, positive number of milliseconds (at most 2147483647)`);
      }
    }
  }
  if (raw.notes !== undefined && (!Array.isArray(raw.notes) || !raw.notes.every((n) => typeof n === 'string'))) {
    c.fail(['notes'], "'notes' must be a list of strings");
  } else if (raw.notes !== undefined) {
    raw.notes.forEach((note: string, i: number) => {
      const long = tooLong(note, MAX_LENGTH.note);
      if (long) c.fail(['notes', i], `note #${i + 1} ${long}`, `shorten it to at most ${MAX_LENGTH.note} characters`);
    });
  }
  checkGuide(c, raw);
  if (raw.clientSubnet !== undefined) {
    const subnet = raw.clientSubnet;
    if (typeof subnet !== 'string' || !/^[0-9.]+\/[0-9]+$/.test(subnet) || parseNetwork(subnet)?.family !== 4) {
      c.fail(['clientSubnet'], `clientSubnet ${JSON.stringify(subnet)} is not an IPv4 network`, 'write e.g. 192.168.0.0/20');
    }
  }

  const ports = new Map<string | number, string>();
  const appNames = new Map<string | number, string>();
  c.list(raw, 'apps', []).forEach((app, i) => checkApp(c, app, ['apps', i], appNames, ports));

  const backendNames = new Set<string>();
  const backends = c.list(raw, 'backends', []);
  backends.forEach((b, i) => {
    if (isObj(b) && typeof b.name === 'string') {
      if (backendNames.has(b.name)) c.fail(['backends', i, 'name'], `duplicate backend name ${JSON.stringify(b.name)}`);
      backendNames.add(b.name);
    }
  });
  backends.forEach((b, i) => checkBackend(c, b, ['backends', i], appNames));

  const frontendNames = new Map<string | number, string>();
  const frontends = c.list(raw, 'frontends', []);
  frontends.forEach((f, i) => checkFrontend(c, f, ['frontends', i], backendNames, frontendNames, ports));
  backends.forEach((b, i) => checkBackendMode(c, b, ['backends', i], frontends));
  return c.problems;
}

function checkApp(c: Checker, app: unknown, path: (string | number)[], names: Map<string | number, string>, ports: Map<string | number, string>): void {
  if (!isObj(app)) return c.fail(path, 'an app must be a mapping with name, port and routes');
  c.strict(app, 'app', path, `app #${Number(path[1]) + 1}`);
  const name = c.string(app, 'name', path, NAME);
  if (name) c.unique(names, name, [...path, 'name'], 'app name', `app #${Number(path[1]) + 1}`);
  const port = c.port(app, 'port', path);
  if (port !== undefined) c.unique(ports, port, [...path, 'port'], 'port', `app ${name ?? '?'}`);
  if (app.healthRoute !== undefined) c.string(app, 'healthRoute', path, /^\/[A-Za-z0-9/_.-]*$/);
  if (app.delaySeconds !== undefined && (typeof app.delaySeconds !== 'number' || app.delaySeconds < 0)) {
    c.fail([...path, 'delaySeconds'], 'delaySeconds must be a number of seconds ≥ 0');
  }
  if (app.placement !== undefined) checkPlacement(c, app.placement, [...path, 'placement']);
  c.list(app, 'routes', path).forEach((route, j) => {
    const at = [...path, 'routes', j];
    if (!isObj(route)) return c.fail(at, 'a route must be a mapping');
    c.strict(route, 'route', at, `route #${j + 1} of app ${String(app.name)}`);
    if (typeof route.text === 'string') {
      const long = tooLong(route.text, MAX_LENGTH.text);
      if (long) c.fail([...at, 'text'], `route text ${long}`, `shorten it, or ship it under files: and serve it with staticDir`);
    }
    if (route.staticDir !== undefined) {
      const problem = typeof route.staticDir === 'string' ? labPathProblem(route.staticDir) : 'is not a string';
      if (problem) c.fail([...at, 'staticDir'], `staticDir ${JSON.stringify(route.staticDir)} ${problem}`, "name a directory inside the app's own directory, e.g. static");
    }
    const p = c.string(route, 'path', at);
    if (p && !p.startsWith('/')) c.fail([...at, 'path'], `route path ${JSON.stringify(p)} must start with /`);
    const bodies = ['text', 'json', 'staticDir', 'echoHeader'].filter((k) => route[k] !== undefined);
    if (bodies.length !== 1) c.fail(at, 'a route needs exactly one of text, json, staticDir or echoHeader');
    if (route.echoHeader !== undefined) c.string(route, 'echoHeader', at, /^[A-Za-z0-9-]+$/);
    if (route.delaySeconds !== undefined && (typeof route.delaySeconds !== 'number' || route.delaySeconds < 0)) {
      c.fail([...at, 'delaySeconds'], 'delaySeconds must be a number of seconds ≥ 0');
    }
    if (route.methods !== undefined && (!Array.isArray(route.methods) || !route.methods.every((m) => typeof m === 'string' && /^[A-Z]+$/.test(m)))) {
      c.fail([...at, 'methods'], 'methods must be a list of upper-case HTTP methods');
    }
  });
  if (app.files !== undefined && (!isObj(app.files) || !Object.values(app.files).every((v) => typeof v === 'string'))) {
    c.fail([...path, 'files'], 'files must map a relative path to its text content');
  } else if (app.files !== undefined) {
    for (const [rel, content] of Object.entries(app.files)) {
      const problem = labPathProblem(rel) ?? (['app.py', 'Dockerfile'].includes(rel.replace(/^(\.\/)+/, '')) ? 'would replace the generated one' : undefined);
      if (problem) c.fail([...path, 'files', rel], `file name ${JSON.stringify(rel.length > 60 ? `${rel.slice(0, 60)}…` : rel)} ${problem}`, "name a path inside the app's own directory, e.g. static/index.html");
      const long = tooLong(content as string, MAX_LENGTH.fileContent);
      if (long) c.fail([...path, 'files', rel], `file ${JSON.stringify(rel.slice(0, 60))} ${long}`);
    }
  }
}

function checkBackend(c: Checker, b: unknown, path: (string | number)[], apps: Map<string | number, string>): void {
  if (!isObj(b)) return c.fail(path, 'a backend must be a mapping');
  c.strict(b, 'backend', path, `backend #${Number(path[1]) + 1}`);
  c.string(b, 'name', path, HAPROXY_NAME);
  if (b.balance === undefined) c.fail([...path, 'balance'], "'balance' is required");
  const balance = c.oneOf(b, 'balance', ALGORITHMS, path, 'algorithm');
  c.oneOf(b, 'hashType', HASH_TYPES, path, 'hash-type');
  if ((balance === 'hdr' || balance === 'url_param') && typeof b.balanceArg !== 'string') {
    c.fail([...path, 'balance'], `balance ${balance} needs balanceArg (the header or parameter name)`);
  }
  if (balance === 'random' && b.balanceArg !== undefined && !/^[1-9][0-9]*$/.test(String(b.balanceArg))) {
    c.fail([...path, 'balanceArg'], `random draws ${JSON.stringify(b.balanceArg)} must be a positive whole number`);
  }
  const serverNames = new Map<string | number, string>();
  const servers = c.list(b, 'servers', path);
  if (servers.length > 0 && servers.every((s) => isObj(s) && s.weight === 0)) {
    c.fail([...path, 'servers'], `every server of backend ${String(b.name)} has weight 0: none would take traffic`, 'give at least one server a weight from 1 to 256');
  }
  servers.forEach((s, j) => {
    const at = [...path, 'servers', j];
    if (!isObj(s)) return c.fail(at, 'a server must be a mapping with name and app');
    c.strict(s, 'server', at, `server #${j + 1} of backend ${String(b.name)}`);
    for (const key of ['check', 'backup', 'disabled']) c.flag(s, key, at);
    const name = c.string(s, 'name', at, HAPROXY_NAME);
    if (name) c.unique(serverNames, name, [...at, 'name'], 'server name', `server #${j + 1}`);
    const app = c.string(s, 'app', at);
    if (app && !apps.has(app)) c.fail([...at, 'app'], `server ${name ?? '?'} points at unknown app ${JSON.stringify(app)}`, `define it under apps or use one of: ${[...apps.keys()].join(', ')}`);
    if (s.weight !== undefined) {
      const problem = weightProblem(s.weight);
      if (problem) c.fail([...at, 'weight'], problem, `HAProxy takes a whole number from 0 to ${MAX_WEIGHT}`);
    }
  });
  checkSessions(c, b, path);
}

function checkFrontend(
  c: Checker, f: unknown, path: (string | number)[], backends: Set<string>,
  names: Map<string | number, string>, ports: Map<string | number, string>,
): void {
  if (!isObj(f)) return c.fail(path, 'a frontend must be a mapping');
  c.strict(f, 'frontend', path, `frontend #${Number(path[1]) + 1}`);
  if (f.description !== undefined) c.string(f, 'description', path, undefined, MAX_LENGTH.description);
  const name = c.string(f, 'name', path, HAPROXY_NAME);
  if (name) c.unique(names, name, [...path, 'name'], 'frontend name', `frontend #${Number(path[1]) + 1}`);
  if (f.mode === undefined) c.fail([...path, 'mode'], "'mode' is required (http or tcp)");
  c.oneOf(f, 'mode', ['http', 'tcp'], path, 'mode');
  c.port(f, 'bind', path);
  const hostPort = c.port(f, 'hostPort', path);
  if (hostPort !== undefined) {
    const owner = `frontend ${name ?? '?'}`;
    c.unique(ports, hostPort, [...path, 'hostPort'], 'port', owner);
    c.unique(ports, hostPort + TS_PORT_OFFSET, [...path, 'hostPort'], 'port', `${owner} (TypeScript proxy, hostPort+${TS_PORT_OFFSET})`);
    if (Number(path[1]) === 0) {
      c.unique(ports, hostPort + STATS_PORT_OFFSET, [...path, 'hostPort'], 'port', `stats (hostPort+${STATS_PORT_OFFSET})`);
      c.unique(ports, hostPort + STATS_PORT_OFFSET + TS_PORT_OFFSET, [...path, 'hostPort'], 'port', 'TypeScript proxy stats');
    }
  }
  const dflt = c.string(f, 'defaultBackend', path);
  if (dflt && !backends.has(dflt)) c.fail([...path, 'defaultBackend'], `default backend ${JSON.stringify(dflt)} is not defined`, `define it under backends or use one of: ${[...backends].join(', ')}`);

  if (f.tls !== undefined) {
    if (typeof f.tls !== 'boolean') c.fail([...path, 'tls'], `'tls' must be true or false (got ${JSON.stringify(f.tls)})`);
    else if (f.tls && f.mode !== 'http') c.fail([...path, 'tls'], `TLS is terminated on an HTTP frontend; frontend ${name ?? '?'} is mode ${String(f.mode)}`, 'set mode: http, or drop tls');
  }
  if (f.stickTable !== undefined) {
    const table = c.string(f, 'stickTable', path, undefined, MAX_LENGTH.criterion);
    if (table !== undefined) {
      try {
        parseStickTable(tokenizeLine(table, { file: 'lab.yaml', line: 1 }, {}), () => ({ file: 'lab.yaml', line: 1 }));
      } catch (err) {
        if (!(err instanceof BadInputError)) throw err;
        c.fail([...path, 'stickTable'], `stickTable ${JSON.stringify(table)}: ${err.message}`, err.hint);
      }
    }
  }
  const acls = new Set<string>();
  c.list(f, 'acls', path, false).forEach((acl, j) => {
    const at = [...path, 'acls', j];
    if (!isObj(acl)) return c.fail(at, 'an acl must be a mapping with name and criterion');
    c.strict(acl, 'acl', at, `acl #${j + 1} of frontend ${name ?? '?'}`);
    const aclName = c.string(acl, 'name', at, HAPROXY_NAME);
    if (aclName) acls.add(aclName);
    const criterion = c.string(acl, 'criterion', at, undefined, MAX_LENGTH.criterion);
    const fetch = (typeof criterion === 'string' ? (ruleWords(criterion)?.[0] ?? '') : undefined)?.replace(/\(.*$/, '');
    if (fetch !== undefined && !(ACL_FETCHES as readonly string[]).includes(fetch)) {
      c.fail([...at, 'criterion'], `unknown ACL fetch ${JSON.stringify(fetch)}`, `use one of: ${ACL_FETCHES.join(', ')}`);
    } else if (criterion !== undefined) {
      const problem = aclCriterionProblem(aclName ?? 'acl', criterion);
      if (problem) c.fail([...at, 'criterion'], problem.message, problem.hint);
    }
  });
  c.list(f, 'rules', path, false).forEach((rule, j) => {
    const at = [...path, 'rules', j];
    if (typeof rule !== 'string') return c.fail(at, 'a rule must be a string such as "use_backend NAME if ACL"');
    const long = tooLong(rule, MAX_LENGTH.rule);
    if (long) return c.fail(at, `rule #${j + 1} ${long}`);
    checkRule(c, rule, at, backends, acls, f.stickTable !== undefined);
  });
}

/**
 * uri, hdr and url_param hash what only HTTP carries: on a TCP backend HAProxy warns and
 * balances round robin instead, so the lab would not run the algorithm it names.
 */
function checkBackendMode(c: Checker, b: unknown, path: (string | number)[], frontends: unknown[]): void {
  if (!isObj(b) || !(HTTP_ONLY_ALGORITHMS as readonly unknown[]).includes(b.balance)) return;
  const users = frontends.filter(isObj).filter((f) => f.defaultBackend === b.name || (Array.isArray(f.rules) && f.rules.some((r) => typeof r === 'string' && useBackendTarget(r) === b.name)));
  const user = users[0] ?? frontends.find(isObj);
  if (user?.mode === 'tcp') {
    c.fail([...path, 'balance'], `balance ${String(b.balance)} needs HTTP, but backend ${String(b.name)} serves tcp frontend ${String(user.name)}`, 'HAProxy would warn and fall back to roundrobin; use roundrobin, static-rr, leastconn, first, random or source');
  }
}

function checkRule(c: Checker, rule: string, at: (string | number)[], backends: Set<string>, acls: Set<string>, hasTable: boolean): void {
  const words = ruleWords(rule);
  if (!words) return c.fail(at, `rule ${JSON.stringify(rule)} cannot be read: a quote is left open`, 'close the quote, or write the rule without quotes');
  let rest: string[];
  if (words[0] === 'http-request' && /^track-sc[0-2]$/.test(words[1] ?? '')) {
    if (words[2] !== 'src') return c.fail(at, `${words[1]} ${JSON.stringify(words[2] ?? '')}: haplab tracks only by src`, `write "http-request ${words[1]} src"`);
    if (!hasTable) return c.fail(at, `rule ${JSON.stringify(rule)} tracks into this frontend's stick table, which it does not declare`, 'add stickTable: "type ip size 100k expire 30s store http_req_rate(10s)" to the frontend');
    rest = words.slice(3);
  } else if (words[0] === 'use_backend') {
    const target = words[1] ?? '';
    if (!backends.has(target)) c.fail(at, `use_backend names undefined backend ${JSON.stringify(target)}`, `define it under backends or use one of: ${[...backends].join(', ')}`);
    rest = words.slice(2);
  } else if (words[0] === 'http-request' && words[1] === 'redirect') {
    // ep13: `http-request redirect scheme https [code 301|302|303|307|308] [if|unless COND]`.
    if (words[2] !== 'scheme' || words[3] !== 'https') return c.fail(at, `unsupported redirect ${JSON.stringify(rule)}`, 'write "http-request redirect scheme https unless { ssl_fc }"');
    rest = words.slice(4);
    if (rest[0] === 'code') {
      if (!['301', '302', '303', '307', '308'].includes(rest[1] ?? '')) c.fail(at, `redirect code ${JSON.stringify(rest[1])} is not one of 301, 302, 303, 307, 308`);
      rest = rest.slice(2);
    }
  } else if (words[0] === 'http-request' && words[1] === 'set-header') {
    // ep13: `http-request set-header NAME VALUE [if|unless COND]`.
    if (!words[2] || !/^[A-Za-z0-9-]+$/.test(words[2]) || words[3] === undefined) return c.fail(at, `set-header ${JSON.stringify(rule)} needs a header name and a value`, 'e.g. "http-request set-header X-Forwarded-Proto https"');
    rest = words.slice(4);
  } else if (words[0] === 'http-request' && words[1] === 'deny') {
    rest = words.slice(2);
    if (rest[0] === 'deny_status') {
      if (!/^[1-5][0-9][0-9]$/.test(rest[1] ?? '')) c.fail(at, `deny_status ${JSON.stringify(rest[1])} is not an HTTP status`);
      rest = rest.slice(2);
    }
  } else {
    return c.fail(at, `unsupported rule ${JSON.stringify(rule)}`, 'use "use_backend NAME if|unless COND", "http-request deny [deny_status N] if|unless COND", "http-request track-sc0 src", "http-request redirect scheme https …" or "http-request set-header NAME VALUE"');
  }
  if (rest.length === 0) return;
  if (rest[0] !== 'if' && rest[0] !== 'unless') return c.fail(at, `expected 'if' or 'unless' in ${JSON.stringify(rule)}`);
  const condition = rest.slice(1);
  for (let k = 0; k < condition.length; k++) {
    const word = condition[k]!;
    if (word === 'or' || word === '||') continue;
    if (word === '{' || word === '!{') {
      // An anonymous ACL: read like a named one's criterion.
      const close = condition.indexOf('}', k + 1);
      if (close < 0) return c.fail(at, `rule ${JSON.stringify(rule)}: '{' without its '}'`, "close the anonymous ACL with ' }'");
      const criterion = condition.slice(k + 1, close).join(' ');
      const problem = aclCriterionProblem('(anonymous)', criterion);
      if (problem) c.fail(at, problem.message, problem.hint);
      k = close;
      continue;
    }
    const name = word.replace(/^!/, '');
    if (!acls.has(name)) c.fail(at, `rule uses undefined ACL ${JSON.stringify(name)}`, `define it under acls of this frontend`);
  }
}

/**
 * The criterion goes verbatim onto an `acl` line of haproxy.cfg: read it with haplab's own
 * ACL parser (HAProxy's rules), so that a bad address, regex or -m method is refused here
 * rather than by the proxy when the lab starts.
 */
function aclCriterionProblem(name: string, criterion: string): { message: string; hint?: string } | undefined {
  try {
    const words = tokenizeLine(criterion, { file: 'lab.yaml', line: 1 }, {});
    parseAclExpression(words, name, { file: 'lab.yaml', line: 1, warn: () => undefined });
    return undefined;
  } catch (err) {
    if (err instanceof BadInputError) return { message: `ACL criterion ${JSON.stringify(criterion)}: ${err.message}`, hint: err.hint };
    throw err;
  }
}

/** A swarm placement constraint: `node.<attribute>` or `engine.labels.<name>`, `==` or `!=`, a value. */
const PLACEMENT = /^(node\.(id|hostname|role|platform\.os|platform\.arch|labels\.[A-Za-z0-9_.-]+)|engine\.labels\.[A-Za-z0-9_.-]+)\s*(==|!=)\s*[A-Za-z0-9_.:-]+$/;

function checkPlacement(c: Checker, placement: unknown, path: (string | number)[]): void {
  const hint = 'write a list of swarm constraints, e.g. placement: ["node.role==worker"] (docs: docker service create --constraint)';
  if (!Array.isArray(placement)) return c.fail(path, 'placement must be a list of swarm placement constraints', hint);
  placement.forEach((constraint, i) => {
    if (typeof constraint !== 'string' || !PLACEMENT.test(constraint)) {
      c.fail([...path, i], `'${String(constraint)}' is not a swarm placement constraint (node.role, node.hostname, node.id, node.labels.NAME or engine.labels.NAME, then == or !=, then a value)`, hint);
    }
  });
}
