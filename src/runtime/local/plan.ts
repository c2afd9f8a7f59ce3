/**
 * Turns a lab spec into the processes of a local run: which implementation plays each
 * part (Flask or the Node replica, HAProxy or the TypeScript proxy), on which loopback
 * ports, with which config — and the notes that say every substitution made.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PROXY_SERVICE, proxiesOf, publishedPorts } from '../../render/compose.js';
import { frontendScheme, STATS_BIND_PORT, TLS_CERT_FILE, type LabSpec, type ProxyKind } from '../../lab-schema/types.js';
import type { Endpoint, LabInstance } from '../types.js';
import { boundPorts, readLabCfg, translateForLoopback } from './local-cfg.js';
import type { ResolvedLocalOptions } from './options.js';
import { LOOPBACK, PortAllocator } from './ports.js';
import { localDir, type ProcessSpec } from './run-record.js';
import { replicaEntry, requireCompiled, tsProxyEntry, type LocalTools } from './tools.js';

export interface LocalPlan {
  processes: ProcessSpec[];
  endpoints: Endpoint[];
  stats: LabInstance['stats'];
  proxyConfigs: LabInstance['proxyConfigs'];
  notes: string[];
  /** Lets other labs of this process take the plan's ports again: once its processes hold them, or failed to. */
  releasePorts(): void;
}

export function logsDir(dir: string): string {
  return join(localDir(dir), 'logs');
}

function files(dir: string, id: string) {
  return { log: join(logsDir(dir), `${id}.log`), pidFile: join(logsDir(dir), `${id}.pid`) };
}

/**
 * A unix socket path longer than this does not bind: sun_path is 108 bytes, and HAProxy
 * binds `PATH.PID.tmp` first and renames it (a 7-digit pid leaves 95; seen failing at 98).
 */
const MAX_SOCKET_PATH = 90;

/**
 * A unix socket of the lab's run: in the lab's directory, or where that is too deep for a
 * socket path, in the temp directory under a name drawn from the lab's path (removed when
 * the run stops: stopRun).
 */
export function socketPathOf(dir: string, name: string): string {
  const path = join(localDir(dir), name);
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path;
  const key = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 16);
  return join(tmpdir(), `haplab-${key}-${name}`);
}

/** The sockets the local runtime gives a proxy: the lab's own `stats socket` lines, moved, and its admin runtime API. */
export const proxySockets = (dir: string, role: ProxyKind): { stats: string; admin: string } => ({
  stats: socketPathOf(dir, `${PROXY_SERVICE[role]}.sock`),
  admin: socketPathOf(dir, `${PROXY_SERVICE[role]}-admin.sock`),
});

/** The admin-level runtime API socket the local runtime adds to a proxy's loopback config. */
export const adminSocketOf = (dir: string, role: ProxyKind): string => proxySockets(dir, role).admin;

/** The app process: Flask with the lab's own app.py, or the Node replica of it. */
export function appProcess(dir: string, app: string, port: number, python: string | undefined): ProcessSpec {
  const id = `app-${app}`;
  const appDir = join(dir, 'apps', app);
  const env = { HAPLAB_HOST: LOOPBACK, HAPLAB_PORT: String(port), PYTHONUNBUFFERED: '1' };
  const common = { id, role: 'app' as const, name: app, cwd: appDir, env, ...files(dir, id), listens: [{ port, ready: 'http-any' as const }] };
  if (python) return { ...common, implementation: 'Flask', command: python, args: [join(appDir, 'app.py')] };
  return { ...common, implementation: 'Node replica', command: process.execPath, args: [requireCompiled(replicaEntry, "haplab's Node app replica"), dir, app] };
}

export async function planLocalRun(spec: LabSpec, dir: string, tools: LocalTools, options: ResolvedLocalOptions): Promise<LocalPlan> {
  const ports = new PortAllocator(dir);
  try {
    return await planWith(ports, spec, dir, tools, options);
  } catch (err) {
    ports.release();
    throw err;
  }
}

async function planWith(ports: PortAllocator, spec: LabSpec, dir: string, tools: LocalTools, options: ResolvedLocalOptions): Promise<LocalPlan> {
  const notes: string[] = [];
  const python = options.preferReplicas ? undefined : tools.python.path;
  if (!python) notes.push(`apps: haplab's built-in Node replicas of the Flask apps (same routes, texts and headers), because ${options.preferReplicas ? 'replicas were asked for' : tools.python.problem}`);
  else if (tools.python.noWaitress === undefined) notes.push(`apps: Flask under waitress (${python})`);
  else notes.push(`apps: Flask's development server (${python}), because waitress does not import there (${tools.python.noWaitress}): it closes every connection after one answer, so no connection carries two requests (install python3-waitress)`);

  const processes: ProcessSpec[] = [];
  const appPorts = new Map<string, number>();
  for (const app of spec.apps) {
    const port = await ports.take(app.port, `app ${app.name}`);
    appPorts.set(app.name, port);
    processes.push(appProcess(dir, app.name, port, python));
  }

  const endpoints: Endpoint[] = [];
  const stats: LabInstance['stats'] = [];
  const proxyConfigs: LabInstance['proxyConfigs'] = [];
  for (const role of proxiesOf(spec)) {
    const planned = await planProxy(spec, dir, role, appPorts, ports, tools, options, notes);
    processes.push(planned.process);
    endpoints.push(...planned.endpoints);
    if (planned.statsUrl) stats.push({ proxy: role, url: planned.statsUrl });
    proxyConfigs.push({ proxy: role, file: planned.cfgFile });
  }
  notes.push(...ports.moved);
  if (spec.clientSubnet && !spec.clientSubnet.startsWith('127.')) {
    notes.push(`source-address rules in ${spec.clientSubnet}: the local runtime speaks only from 127.0.0.0/8, so checks that need those addresses are skipped (use the docker runtime to run them)`);
  }
  return { processes, endpoints, stats, proxyConfigs, notes, releasePorts: () => ports.release() };
}

async function planProxy(
  spec: LabSpec, dir: string, role: ProxyKind, appPorts: Map<string, number>, ports: PortAllocator,
  tools: LocalTools, options: ResolvedLocalOptions, notes: string[],
): Promise<{ process: ProcessSpec; endpoints: Endpoint[]; statsUrl?: string; cfgFile: string }> {
  const useHaproxy = role === 'haproxy' && !options.preferTsProxy && tools.haproxy.path !== undefined;
  if (role === 'haproxy' && !useHaproxy) {
    notes.push(`proxy: haplab's TypeScript proxy plays HAProxy's part, because ${options.preferTsProxy ? 'the TypeScript proxy was asked for' : tools.haproxy.problem}`);
  } else if (useHaproxy) notes.push(`proxy: HAProxy (${tools.haproxy.path})`);

  const service = PROXY_SERVICE[role];
  const labCfg = await readLabCfg(spec, join(dir, service, 'haproxy.cfg'));

  // Each port the config binds in the container gets the host port the docker runtime
  // publishes for it (the TS proxy's are HAProxy's + 100); a port lab.yaml does not
  // publish gets a free one.
  const wanted = publishedPorts(spec, role);
  const binds = new Map<number, number>();
  const frontendPorts = new Map<string, number>();
  for (const [i, f] of spec.frontends.entries()) {
    const port = await ports.take(wanted[i]!.host, `${role} frontend ${f.name}`);
    frontendPorts.set(f.name, port);
    binds.set(f.bind, port);
  }
  binds.set(STATS_BIND_PORT, await ports.take(wanted[wanted.length - 1]!.host, `${role} stats`));
  for (const port of boundPorts(labCfg.config)) {
    if (binds.has(port)) continue;
    binds.set(port, await ports.any(`${role} bind :${port}`));
    notes.push(`${service}/haproxy.cfg binds :${port}, which lab.yaml does not publish: locally ${LOOPBACK}:${binds.get(port)} (on docker it is not reachable from the host)`);
  }

  const cfgFile = join(localDir(dir), `${service}.cfg`);
  const local = translateForLoopback(labCfg, spec, { apps: appPorts, binds, statsSocket: proxySockets(dir, role).stats, adminSocket: adminSocketOf(dir, role), tlsCert: join(dir, service, TLS_CERT_FILE) });
  await mkdir(localDir(dir), { recursive: true });
  await writeFile(cfgFile, local.text, 'latin1');
  notes.push(labCfg.rendered
    ? `${role}: ${service}/haproxy.cfg is missing, so it runs the config lab.yaml renders, moved to loopback: ${relative(dir, cfgFile)}`
    : `${role}: runs ${service}/haproxy.cfg as it stands, moved to loopback (${local.moved.servers} server and ${local.moved.binds} bind addresses): ${relative(dir, cfgFile)}`);
  notes.push(...local.notes);

  const id = `proxy-${service}`;
  const common = { id, role: 'proxy' as const, name: role, cwd: localDir(dir), env: {}, ...files(dir, id), listens: local.listens };
  const process: ProcessSpec = useHaproxy
    ? { ...common, implementation: 'HAProxy', command: tools.haproxy.path!, args: ['-f', cfgFile, '-db'] }
    : { ...common, implementation: 'TypeScript proxy', command: globalThis.process.execPath, args: [requireCompiled(tsProxyEntry, "haplab's TypeScript proxy"), '-f', cfgFile] };

  const endpoints = spec.frontends.map((f): Endpoint => {
    const port = frontendPorts.get(f.name)!;
    return { proxy: role, frontend: f.name, mode: f.mode, host: LOOPBACK, port, url: `${frontendScheme(f)}://${LOOPBACK}:${port}` };
  });
  const statsUrl = local.stats && `http://${LOOPBACK}:${local.stats.port}${local.stats.uri};csv`;
  return { process, endpoints, statsUrl, cfgFile };
}
