/**
 * Live state behind the config: one RuntimeBackend per backend/listen section, holding
 * its servers (the LbServer objects the balancer sees), their upstream connection
 * pools (http1/server-pool.ts) and the counters the stats page shows.
 */
import { createBalancer } from './balance/index.js';
import { haproxyStream } from './balance/statistical-prng.js';
import type { Balancer, LbServer, PickContext } from './balance/types.js';
import type { ProxySection, ServerConfig } from './config/model.js';
import { parseNetwork, type IpNetwork } from './acl/ip.js';
import { ServerPool } from './http1/server-pool.js';
import { createPersistence, type BackendPersistence } from './persist/index.js';

const HASH_ALGORITHMS = new Set(['source', 'uri', 'url_param', 'hdr']);

export type BalancerFactory = (section: ProxySection, servers: LbServer[]) => Balancer;

/**
 * The balancers of one proxy process. HAProxy 2.6 draws `balance random` keys from one
 * fixed-seed generator per thread, shared by every backend of the process and restarted from
 * its seed by every start (balance/statistical-prng.ts). This proxy is one thread: its random
 * backends share thread 0's stream, so a fresh haplab proxy picks what a fresh `nbthread 1`
 * HAProxy picks, and the verifier can replay its picks exactly instead of testing one fixed
 * sample as if it were fresh draws.
 */
export function processBalancers(): BalancerFactory {
  const draws = haproxyStream(0);
  return (section, servers) => createBalancer(section.balance, servers, draws);
}

/** Counters shared by frontends, backends and servers (HAProxy's stats columns). */
export class Counters {
  /** Current sessions (scur) and their peak (smax). */
  current = 0;
  max = 0;
  /** Total sessions (stot). */
  total = 0;
  /** Times chosen by the load balancer (lbtot). */
  chosen = 0;
  bytesIn = 0;
  bytesOut = 0;
  deniedRequests = 0;
  requestErrors = 0;
  connectionErrors = 0;
  responseErrors = 0;
  retries = 0;
  redispatches = 0;
  requests = 0;
  /** hrsp_1xx … hrsp_5xx, hrsp_other. */
  readonly responses = [0, 0, 0, 0, 0, 0];

  open(): void {
    this.current++;
    this.total++;
    if (this.current > this.max) this.max = this.current;
  }

  close(): void {
    this.current--;
  }

  response(status: number): void {
    const klass = Math.floor(status / 100);
    this.responses[klass >= 1 && klass <= 5 ? klass - 1 : 5]!++;
  }
}

export interface HealthView {
  enabled: boolean;
  health: number;
  rise: number;
  fall: number;
  failedChecks: number;
  downTransitions: number;
  lastStatus?: string;
  /** How long the last check took, in ms (stats check_duration). */
  lastDurationMs?: number;
}

export class RuntimeServer implements LbServer {
  readonly id: number;
  readonly name: string;
  readonly backup: boolean;
  weight: number;
  up: boolean;
  activeConns = 0;
  readonly counters = new Counters();
  /** Seconds since epoch of the last up/down change (stats lastchg). */
  lastChange = Math.floor(Date.now() / 1000);
  health: HealthView;
  /** Connections to this server in `mode http`. */
  readonly pool: ServerPool;
  /** Host header for a request that came without one (HTTP/1.0). */
  readonly hostHeader: string;
  /** Where connections go: the configured host, or what DNS resolution gave (src/proxy/resolve/). */
  address: string;
  /** HAProxy's SRV_ADMF_RMAINT: no address from DNS, so out of the rotation and unchecked. */
  resolutionMaint = false;

  constructor(
    readonly config: ServerConfig,
    readonly backend: RuntimeBackend,
  ) {
    this.id = config.id;
    this.name = config.name;
    this.backup = config.backup;
    this.weight = config.weight;
    this.up = !config.disabled;
    this.address = config.host;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    this.hostHeader = config.port ? `${host}:${config.port}` : host;
    // HAProxy starts a checked server up but on the edge: health = rise, one failure downs it.
    this.health = {
      enabled: config.check && !config.disabled,
      health: config.disabled ? 0 : config.rise,
      rise: config.rise,
      fall: config.fall,
      failedChecks: 0,
      downTransitions: 0,
    };
    // maxconn queues extra requests in the pool, as HAProxy's server queue does.
    this.pool = new ServerPool(this.address, config.maxconn ?? 0, backend.section.options.httpKeepAlive);
  }

  /** The port to connect to: the server's, or the client's destination port when omitted. */
  portFor(localPort: number): number {
    return this.config.port ?? localPort;
  }

  setUp(healthy: boolean): void {
    const up = healthy && !this.resolutionMaint;
    if (this.up === up) return;
    this.up = up;
    this.lastChange = Math.floor(Date.now() / 1000);
    if (!up) this.health.downTransitions++;
    this.backend.balancer.update(this);
  }

  /** A new address from DNS: later connections (and checks) go there. */
  setAddress(address: string): void {
    this.address = address;
    this.pool.retarget(address);
  }

  /**
   * Enters or leaves MAINT (resolution) as HAProxy 2.6's srv_update_status does: entering
   * pauses the checks with health 0; leaving restarts them at health = rise, so the
   * server is up at once (checks then run as usual).
   */
  setResolutionMaint(on: boolean): void {
    if (this.resolutionMaint === on) return;
    this.resolutionMaint = on;
    if (this.health.enabled) this.health.health = on ? 0 : this.health.rise;
    const up = !on && !this.config.disabled;
    if (this.up === up) return;
    this.up = up;
    this.lastChange = Math.floor(Date.now() / 1000);
    this.backend.balancer.update(this);
  }
}

export class RuntimeBackend {
  readonly servers: RuntimeServer[];
  readonly balancer: Balancer;
  readonly counters = new Counters();
  /** `option forwardfor except NET` in this backend. */
  readonly forwardExcept?: IpNetwork;
  /** `cookie … insert` / `stick on src`: where a request goes before the balancer is asked. */
  readonly persistence?: BackendPersistence<RuntimeServer>;
  private readonly byLb = new Map<LbServer, RuntimeServer>();

  constructor(
    readonly section: ProxySection,
    factory: BalancerFactory,
  ) {
    const except = section.options.forwardFor?.except;
    this.forwardExcept = except ? parseNetwork(except) : undefined;
    this.servers = section.servers.map((config) => new RuntimeServer(config, this));
    for (const s of this.servers) this.byLb.set(s, s);
    this.balancer = factory(section, this.servers);
    this.persistence = createPersistence(section.persistence, this.servers);
  }

  /** Balances one request/connection; undefined when no server is usable. */
  pick(ctx: PickContext, avoid?: RuntimeServer): RuntimeServer | undefined {
    const chosen = this.balancer.pick(ctx, avoid);
    return chosen === undefined ? undefined : this.byLb.get(chosen);
  }

  /**
   * Marks a request/connection as being served; pair with release(). `picked`: the balancer
   * chose the server (lbtot counts that, as HAProxy's assign_server); a retry to the same
   * server is not a new pick.
   */
  take(server: RuntimeServer, picked = true): void {
    server.activeConns++;
    server.counters.open();
    this.counters.open();
    if (picked) {
      server.counters.chosen++;
      this.counters.chosen++;
    }
    this.balancer.taken?.(server);
  }

  release(server: RuntimeServer): void {
    server.activeConns--;
    server.counters.close();
    this.counters.close();
    this.balancer.released?.(server);
  }

  /**
   * What to do after the `retries`-th failed connect to `server` (HAProxy 2.6.12's
   * stream_choose_redispatch and back_handle_st_cer): redispatch when `option
   * redispatch` is set and the server is down, the interval selects this retry (by
   * default the last), or the algorithm is not a hash and other servers are up; wait
   * min(timeout connect, 1 s) first unless redispatching among several servers.
   */
  retryPlan(server: RuntimeServer, retries: number): { redispatch: boolean; wait: boolean } {
    const { options, balance } = this.section;
    const interval = options.redispatchInterval;
    const othersUp = this.activeUpCount() > 1;
    const redispatch =
      options.redispatch &&
      (!server.up ||
        (interval > 0 && retries % interval === 0) ||
        (interval < 0 && retries % (this.section.retries + 1 + interval) === 0) ||
        (othersUp && !HASH_ALGORITHMS.has(balance.algorithm)));
    return { redispatch, wait: !redispatch || !othersUp };
  }

  /** Counts a retry on the server (same server) or a redispatch away from it, as HAProxy's stats do. */
  countRetry(server: RuntimeServer, redispatch: boolean): void {
    if (redispatch) {
      server.counters.redispatches++;
      this.counters.redispatches++;
    } else {
      server.counters.retries++;
      this.counters.retries++;
    }
  }

  /** Milliseconds of HAProxy's turn-around delay before a retry. */
  retryDelay(): number {
    const connect = this.section.timeouts.connect;
    return connect && connect < 1000 ? connect : 1000;
  }

  /** Usable active servers: HAProxy's srv_act, which the redispatch rules look at. */
  activeUpCount(): number {
    let n = 0;
    for (const s of this.servers) if (s.up && !s.backup && s.weight > 0) n++;
    return n;
  }

  destroy(): void {
    for (const s of this.servers) s.pool.destroy();
  }
}
