/**
 * The choices `haplab new` offers on top of an episode: algorithm, number of servers, their
 * weights, which proxy, which images. Each bad choice names the flag it came from.
 */
import { BadInputError } from '../errors.js';
import { weightProblem } from './validate.js';
import {
  ALGORITHMS, MAX_WEIGHT, primaryBackend,
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
  const m = /^([a-z_-]+)(?:\(([^()]+)\))?$/.exec(value.trim());
  const name = m?.[1] as Algorithm | undefined;
  if (!m || !name || !ALGORITHMS.includes(name)) {
    throw new BadInputError(`unknown algorithm ${JSON.stringify(value)}`, { flag: '--algorithm' }, `use one of: ${ALGORITHMS.join(', ')}`);
  }
  return m[2] === undefined ? { balance: name } : { balance: name, arg: m[2] };
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
  if (choices.algorithm) {
    const { balance, arg } = parseAlgorithm(choices.algorithm);
    backend.balance = balance;
    if (arg !== undefined) backend.balanceArg = arg;
    else if (balance === 'hdr') backend.balanceArg = 'User-Agent';
    else if (balance === 'url_param') backend.balanceArg = 'user';
    else if (balance !== 'random') delete backend.balanceArg;
    if (!['source', 'uri', 'hdr', 'url_param', 'random'].includes(balance)) delete backend.hashType;
  }
  if (choices.servers !== undefined) scaleServers(spec, choices.servers);
  if (choices.weights) {
    if (choices.weights.length > backend.servers.length) {
      throw new BadInputError(`${choices.weights.length} weights given for ${backend.servers.length} servers`, { flag: '--weights' }, `give at most ${backend.servers.length} weights, or raise --servers`);
    }
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
