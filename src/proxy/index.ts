/**
 * haplab's TypeScript proxy: reads the model of a haproxy.cfg and serves it like
 * `haproxy -db -f haproxy.cfg` would, with nothing but Node's own modules.
 */
import type net from 'node:net';
import { EnvironmentError } from '../errors.js';
import type { BindAddress, ProxyConfig, ProxySection } from './config/model.js';
import { HealthChecker } from './health.js';
import { HttpFrontend, type HttpContext } from './http.js';
import { processBalancers, RuntimeBackend, type BalancerFactory } from './runtime.js';
import { startResolution, type RunningResolution } from './resolve/index.js';
import { startRuntimeApi } from './runtime-api.js';
import type { StatsSource } from './stats-page.js';
import { TcpFrontend } from './tcp.js';
import { monotonicClock, stickTablesOf, type Clock } from './stick-table/index.js';

export { checkStartable, loadConfigFile, parseConfig } from './config/index.js';
export type { ProxyConfig } from './config/model.js';
export { routeRequest } from './acl/evaluate.js';

export interface StartOptions {
  /**
   * Chooses each backend's balancer; defaults to src/proxy/balance, every `random` backend
   * drawing from HAProxy 2.6's generator (runtime.ts processBalancers).
   */
  balancerFactory?: BalancerFactory;
  /** Run health checks for servers with `check` (default true). */
  healthChecks?: boolean;
  /** The stick tables' clock (ms); tests may drive it. Default: the system's. */
  clock?: Clock;
}

export interface ListeningAddress {
  frontend: string;
  host: string;
  port: number;
}

export interface RunningProxy {
  addresses: ListeningAddress[];
  /** Stops listening, ends every connection and health check. */
  close(): Promise<void>;
  /** Live state, for tests and the stats page. */
  backends: ReadonlyMap<string, RuntimeBackend>;
}

function listen(server: net.Server, host: string, port: number, frontend: string): Promise<ListeningAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'EADDRINUSE' ? 'stop what uses the port, or change the bind line'
        : err.code === 'EACCES' ? 'ports below 1024 need privileges: bind a higher port'
        : 'check the bind address';
      reject(new EnvironmentError(`cannot bind ${host}:${port} for frontend '${frontend}' (${err.code ?? err.message})`, hint));
    };
    server.once('error', onError);
    server.listen({ host, port, ipv6Only: false }, () => {
      server.removeListener('error', onError);
      const address = server.address();
      resolve({ frontend, host, port: typeof address === 'object' && address ? address.port : port });
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}

export async function startProxy(config: ProxyConfig, options: StartOptions = {}): Promise<RunningProxy> {
  const factory = options.balancerFactory ?? processBalancers();
  const backends = new Map<string, RuntimeBackend>();
  for (const [name, section] of config.backends) backends.set(name, new RuntimeBackend(section, factory));

  const stickTables = stickTablesOf(config.proxies, options.clock ?? monotonicClock);
  const httpFrontends = new Map<string, HttpFrontend>();
  const tcpFrontends = new Map<string, TcpFrontend>();
  const stats: StatsSource = {
    proxies: config.proxies,
    frontendCounters: (name) => (httpFrontends.get(name) ?? tcpFrontends.get(name))?.counters,
    backend: (name) => backends.get(name),
  };
  const listeners: net.Server[] = [];
  const health = new HealthChecker(backends.values());
  let resolution: RunningResolution | undefined;

  const closeAll = async () => {
    health.stop();
    resolution?.stop();
    for (const tcp of tcpFrontends.values()) for (const s of tcp.sockets) s.destroy();
    for (const fe of httpFrontends.values()) fe.destroyConnections();
    await Promise.all(listeners.map(closeServer));
    for (const b of backends.values()) b.destroy();
  };

  const addresses: ListeningAddress[] = [];
  try {
    // As HAProxy: servers get their first address (init-addr) before anything listens.
    resolution = await startResolution(config.proxies, backends, config.resolvers);
    for (const section of config.frontends) {
      const create = frontendFor(section, { backends, routables: config.backends, stats, stickTables }, httpFrontends, tcpFrontends);
      for (const bind of section.binds) {
        const server = create(bind);
        listeners.push(server);
        addresses.push(await listen(server, bind.host, bind.port, section.name));
      }
    }
    listeners.push(...(await startRuntimeApi(config.global.statsSockets, backends, stats)));
  } catch (err) {
    await closeAll();
    throw err;
  }
  if (options.healthChecks !== false) health.start();

  let closing: Promise<void> | undefined;
  return {
    addresses,
    backends,
    close: () => (closing ??= closeAll()),
  };
}

function frontendFor(
  section: ProxySection,
  context: HttpContext,
  httpFrontends: Map<string, HttpFrontend>,
  tcpFrontends: Map<string, TcpFrontend>,
): (bind: BindAddress) => net.Server {
  if (section.mode === 'http') {
    const fe = new HttpFrontend(section, context);
    httpFrontends.set(section.name, fe);
    return (bind) => fe.createServer(bind);
  }
  const fe = new TcpFrontend(section, { backends: context.backends, routables: context.routables });
  tcpFrontends.set(section.name, fe);
  return () => fe.createServer();
}
