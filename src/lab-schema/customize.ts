/**
 * The choices `haplab new` offers on top of an episode: algorithm, number of servers, their
 * weights, which proxy, which images. Each bad choice names the flag it came from.
 */
import { backendModeOf } from './rule-words.js';
import { BadInputError } from '../errors.js';
import { weightProblem } from './validate.js';
import {
  ALGORITHMS, HTTP_ONLY_ALGORITHMS, MAX_WEIGHT, primaryBackend,
  type Algorithm, type AppSpec, type ImageFlavor, type LabSpec, type ProxyChoice, type ServerSpec,
} from './types.js';

export interface LabChoices {
  algorithm?: string;
  servers?: number;
  weights?: number[];
  proxy?: ProxyChoice;
  images?: ImageFlavor;
}

export const MAX_SERVERS = 32;

/** Parses `--algorithm` values: roundrobin, source, random(3), hdr(User-Agent), url_param(id). */
export function parseAlgorithm(value: string): { balance: Algorithm; arg?: string } {
  const bad = (message: string, hint = `use one of: ${ALGORITHMS.join(', ')}; e.g. random(2), hdr(User-Agent), url_param(id)`) =>
    new BadInputError(message, { flag: '--algorithm' }, hint);
  const text = value.trim();
  if (text === '') throw bad('no algorithm given (the value is empty)');
  const m = /^([A-Za-z_-]+)(?:\((.*)\))?$/s.exec(text);
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  if (!m) throw bad(`${shown} is not an algorithm: write NAME or NAME(ARGUMENT)`);
  const name = m[1] as Algorithm;
  if (!ALGORITHMS.includes(name)) throw bad(`unknown algorithm ${shown}`);
  const arg = m[2];
  if (arg === undefined) return { balance: name };
  const problem = algorithmArgProblem(name, arg.trim());
  if (problem) throw bad(`${shown}: ${problem.message}`, problem.hint);
  return { balance: name, arg: arg.trim() };
}

/** What HAProxy would refuse (or silently misread) in the argument of `balance NAME(ARG)`. */
function algorithmArgProblem(name: Algorithm, arg: string): { message: string; hint: string } | undefined {
  switch (name) {
    case 'random':
      // HAProxy: "number of draws must be at least 1"; more than the servers gains nothing.
      return /^[1-9][0-9]{0,2}$/.test(arg) ? undefined
        : { message: `the number of draws ${JSON.stringify(arg)} must be a whole number from 1 to 999`, hint: 'e.g. random(2) for power-of-two-choices, or random for one draw' };
    case 'hdr':
      return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(arg) ? undefined
        : { message: arg === '' ? 'hdr() needs a header name' : `${JSON.stringify(arg)} is not a header name`, hint: 'e.g. hdr(User-Agent) or hdr(Host)' };
    case 'url_param':
      return /^[A-Za-z0-9._~-]+$/.test(arg) ? undefined
        : { message: arg === '' ? 'url_param() needs a parameter name' : `${JSON.stringify(arg)} is not a query parameter name`, hint: 'e.g. url_param(user)' };
    default:
      return { message: `${name} takes no argument`, hint: `write just ${name}` };
  }
}

export function parseWeights(value: string): number[] {
  return value.split(',').map((part, i) => {
    const text = part.trim();
    const n = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
    const problem = weightProblem(Number.isNaN(n) ? text : n);
    if (problem) throw new BadInputError(`weight #${i + 1}: ${problem}`, { flag: '--weights' }, `give whole numbers from 0 to ${MAX_WEIGHT}, e.g. --weights 2,1,3`);
    return n;
  });
}

/** One weight per server, and at least one that takes traffic. */
export function checkWeightCount(weights: number[], servers: number): void {
  if (weights.length !== servers) {
    throw new BadInputError(`${weights.length} weight${weights.length === 1 ? '' : 's'} given for ${servers} servers`, { flag: '--weights' }, `give one weight per server (${servers}), or change --servers`);
  }
  if (weights.every((w) => w === 0)) {
    throw new BadInputError('every weight is 0: no server would take traffic', { flag: '--weights' }, 'give at least one server a weight from 1 to 256');
  }
}

export function parseServerCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_SERVERS) {
    throw new BadInputError(`server count ${JSON.stringify(value)} is not a number from 1 to ${MAX_SERVERS}`, { flag: '--servers' });
  }
  return n;
}

export function isAclLab(spec: LabSpec): boolean {
  return spec.frontends.some((f) => (f.acls?.length ?? 0) > 0);
}

export function customizeSpec(base: LabSpec, choices: LabChoices): LabSpec {
  const spec: LabSpec = structuredClone(base);
  if (choices.proxy) spec.proxy = choices.proxy;
  if (choices.images) spec.images = choices.images;
  const touchesBalancing = choices.algorithm !== undefined || choices.servers !== undefined || choices.weights !== undefined;
  if (touchesBalancing && isAclLab(spec)) {
    throw new BadInputError(`${spec.id} is about ACL routing; --algorithm, --servers and --weights apply to the balancing episodes`, { flag: choices.algorithm ? '--algorithm' : choices.servers ? '--servers' : '--weights' });
  }
  const backend = primaryBackend(spec);
  // Backends over the very same servers (ep08's plain-random comparison) follow the primary's size and weights.
  const serverKey = (b: { servers: ServerSpec[] }) => JSON.stringify(b.servers);
  const twins = spec.backends.filter((b) => b !== backend && serverKey(b) === serverKey(backend));
  if (choices.algorithm !== undefined) {
    const { balance, arg } = parseAlgorithm(choices.algorithm);
    backend.balance = balance;
    if (arg !== undefined) backend.balanceArg = arg;
    else if (balance === 'hdr') backend.balanceArg = 'User-Agent';
    else if (balance === 'url_param') backend.balanceArg = 'user';
    else if (balance !== 'random') delete backend.balanceArg;
    if (!['source', 'uri', 'hdr', 'url_param', 'random'].includes(balance)) delete backend.hashType;
    const mode = backendModeOf(spec, backend);
    if (mode === 'tcp' && (HTTP_ONLY_ALGORITHMS as readonly string[]).includes(balance)) {
      throw new BadInputError(`${balance} hashes HTTP requests, but ${spec.id} is a TCP lab: HAProxy would warn and balance round robin instead`, { flag: '--algorithm' }, 'on a TCP lab use roundrobin, static-rr, leastconn, first, random or source');
    }
  }
  if (choices.servers !== undefined) scaleServers(spec, choices.servers);
  if (choices.weights) {
    checkWeightCount(choices.weights, backend.servers.length);
    choices.weights.forEach((w, i) => { backend.servers[i]!.weight = w; });
  }
  for (const twin of twins) twin.servers = structuredClone(backend.servers);
  return spec;
}

/** Keeps the first n servers of the primary backend, or adds servers cloned from the last one's app. */
function scaleServers(spec: LabSpec, n: number): void {
  const backend = primaryBackend(spec);
  if (n <= backend.servers.length) {
    const dropped = new Set(backend.servers.slice(n).map((s) => s.app));
    backend.servers = backend.servers.slice(0, n);
    const stillUsed = new Set(spec.backends.flatMap((b) => b.servers.map((s) => s.app)));
    spec.apps = spec.apps.filter((a) => !dropped.has(a.name) || stillUsed.has(a.name));
    return;
  }
  const template = backend.servers[backend.servers.length - 1]!;
  const templateApp = spec.apps.find((a) => a.name === template.app)!;
  const from = backend.servers.length;
  const usedPorts = new Set([...spec.apps.map((a) => a.port), ...spec.frontends.map((f) => f.hostPort)]);
  for (let i = from + 1; i <= n; i++) {
    let port = Math.max(...spec.apps.map((a) => a.port)) + 1;
    while (usedPorts.has(port)) port++;
    usedPorts.add(port);
    const app: AppSpec = renumber(templateApp, from, i);
    app.port = port;
    const server: ServerSpec = { ...template, weight: 1, name: renumberText(template.name, from, i), app: app.name };
    spec.apps.push(app);
    backend.servers.push(server);
  }
}

/** "app3" → "app4", "Hello from Flask App 3!" → "Hello from Flask App 4!"; names without the number get a suffix. */
function renumberText(text: string, from: number, to: number): string {
  const re = new RegExp(`(^|\\D)${from}(?!\\d)`);
  return re.test(text) ? text.replace(re, `$1${to}`) : text;
}

function renumber(app: AppSpec, from: number, to: number): AppSpec {
  const copy = structuredClone(app);
  const name = renumberText(app.name, from, to);
  copy.name = name === app.name ? `${app.name}_${to}` : name;
  copy.routes = copy.routes.map((r) => (r.text === undefined ? r : { ...r, text: renumberText(r.text, from, to) }));
  return copy;
}
