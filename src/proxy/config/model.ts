/**
 * The typed model of a haproxy.cfg, as haplab's proxy and verifier use it. One
 * `ProxySection` type covers frontend, backend and listen (HAProxy too has one `struct
 * proxy` with capability bits), so `listen` is simply both capabilities at once.
 */
import type { Acl, Condition, SourceRef } from '../acl/types.js';
import type { BalanceSettings } from '../balance/types.js';
import type { StickTableConfig, TrackAction } from '../stick-table/types.js';

export type { SourceRef };

export type ProxyMode = 'http' | 'tcp';

/** All durations in milliseconds. */
export interface Timeouts {
  connect?: number;
  client?: number;
  server?: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  queue?: number;
  check?: number;
  tunnel?: number;
  clientFin?: number;
  serverFin?: number;
}

export interface BindAddress {
  /** '0.0.0.0' for `*` or an empty host; '::' for `::` (dual stack). */
  host: string;
  port: number;
  /** `ssl crt FILE`: TLS is terminated here with the certificate and key in FILE (one PEM). */
  ssl?: { crt: string };
  where: SourceRef;
}

/** What `default-server` and `server` share. */
export interface ServerOptions {
  weight: number;
  check: boolean;
  /** Check interval, ms (HAProxy default 2000). */
  inter: number;
  rise: number;
  fall: number;
  backup: boolean;
  disabled: boolean;
  maxconn?: number;
  initAddr?: string;
  /** `port N` on the server line: the health check port. */
  checkPort?: number;
  /** `cookie VALUE`: what the backend's persistence cookie holds for this server (persist/). */
  cookie?: string;
  /** `resolvers NAME`: the server's name is re-resolved at run time by that section (src/proxy/resolve/). */
  resolvers?: string;
  /** `resolve-prefer ipv4|ipv6`: the family asked for first and scored higher (HAProxy's default: ipv6). */
  resolvePrefer?: 'ipv4' | 'ipv6';
}

export interface ServerConfig extends ServerOptions {
  name: string;
  /** HAProxy's puid: explicit `id`, else the next free number in declaration order. */
  id: number;
  host: string;
  /** Absent when written without a port: the connection's destination port is used. */
  port?: number;
  /** `host` is a name, not an IP address (a `resolvers` server resolves it at run time). */
  fqdn?: boolean;
  where: SourceRef;
}

export interface HttpRequestRule {
  action: 'deny' | 'allow' | 'track-sc' | 'redirect' | 'set-header';
  /** Status a deny answers with (403 unless deny_status); unused by allow. */
  status: number;
  /** track-scN: which counter, by what key, in which table (src/proxy/stick-table). */
  track?: TrackAction;
  /** `redirect scheme S [code N]`: the answer is N (302) to S://Host/path. */
  redirect?: { scheme: string; code: number };
  /** `set-header NAME VALUE`: a literal value replaces every NAME line of the request. */
  header?: { name: string; value: string };
  condition?: Condition;
  where: SourceRef;
}

/** `tcp-request content accept|reject [if|unless COND]`. */
export interface TcpContentRule {
  action: 'accept' | 'reject';
  condition?: Condition;
  where: SourceRef;
}

export interface SwitchingRule {
  backend: string;
  condition?: Condition;
  where: SourceRef;
}

export interface HttpCheck {
  method: string;
  uri: string;
  version: string;
}

/** `http-check expect [!] status CODES`: what a check's status must be (2xx/3xx without it). */
export interface HttpCheckExpect {
  negate: boolean;
  /** Inclusive ranges; a single code is [c, c]. */
  ranges: [number, number][];
  where: SourceRef;
}

export interface ForwardFor {
  /** Header to add, `X-Forwarded-For` unless `header NAME`. */
  header: string;
  /** `if-none`: only add it when the request has none. */
  ifNone: boolean;
  /** `except NETWORK`: clients in it get no header. */
  except?: string;
}

export interface ProxyOptions {
  forwardFor?: ForwardFor;
  httpCheck?: HttpCheck;
  /** Applies only with httpCheck (HAProxy ignores the rule otherwise, with a warning). */
  httpCheckExpect?: HttpCheckExpect;
  httpLog: boolean;
  tcpLog: boolean;
  dontLogNull: boolean;
  httpKeepAlive: boolean;
  redispatch: boolean;
  /** `option redispatch <interval>`: -1 (last retry) unless given. */
  redispatchInterval: number;
}

/** `cookie NAME insert [indirect] [nocache] [postonly] [httponly] [secure]` (only insert mode). */
export interface CookieConfig {
  name: string;
  indirect: boolean;
  nocache: boolean;
  postonly: boolean;
  httponly: boolean;
  secure: boolean;
  where: SourceRef;
}

/** `stick-table type ip size N [expire T]` with the backend's `stick on src` rules. */
export interface StickConfig {
  table?: { size: number; expireMs?: number; where: SourceRef };
  /** `stick on src` lines (only src, only this proxy's own table). */
  rules: SourceRef[];
}

/** Session persistence of a backend (src/proxy/persist/): grouped so the section grows by one field. */
export interface PersistenceConfig {
  cookie?: CookieConfig;
  stick: StickConfig;
}

export type SectionKind = 'defaults' | 'frontend' | 'backend' | 'listen';

export interface ProxySection {
  kind: SectionKind;
  name: string;
  capabilities: { frontend: boolean; backend: boolean };
  mode: ProxyMode;
  binds: BindAddress[];
  acls: Map<string, Acl>;
  httpRequestRules: HttpRequestRule[];
  switchingRules: SwitchingRule[];
  defaultBackend?: { name: string; where: SourceRef };
  balance: BalanceSettings;
  servers: ServerConfig[];
  defaultServer: ServerOptions;
  timeouts: Timeouts;
  options: ProxyOptions;
  retries: number;
  maxconn?: number;
  persistence: PersistenceConfig;
  /** Set by `stats enable` (default URI) or `stats uri`. */
  statsUri?: string;
  logs: string[][];
  /** `tcp-request inspect-delay T` and `tcp-request content …` (mode tcp: the first bytes decide). */
  tcpRequest?: { inspectDelay?: number; content: TcpContentRule[] };
  /** `stick-table …` (src/proxy/stick-table): at most one per section. */
  stickTable?: StickTableConfig;
  where: SourceRef;
}

/** A `stats socket` line: where HAProxy's runtime API listens (a path, or ipv4@host:port), and its level. */
export interface StatsSocket {
  path?: string;
  host?: string;
  port?: number;
  level: 'user' | 'operator' | 'admin';
  where: SourceRef;
}

export interface GlobalSettings {
  maxconn?: number;
  nbthread?: number;
  daemon: boolean;
  logs: string[][];
  statsSockets: StatsSocket[];
}

export interface ConfigWarning {
  message: string;
  where: SourceRef;
}

/** A `nameserver NAME IP:PORT` line of a `resolvers` section (UDP only). */
export interface Nameserver {
  name: string;
  host: string;
  port: number;
  where: SourceRef;
}

/** A `resolvers NAME` section, with HAProxy 2.6's defaults (resolvers.c resolvers_new). All durations in ms. */
export interface ResolversConfig {
  name: string;
  nameservers: Nameserver[];
  /** How long a resolution's last status counts before the server is put in MAINT, per status. */
  hold: { valid: number; nx: number; refused: number; timeout: number; other: number; obsolete: number };
  /** `timeout resolve`: between two resolutions · `timeout retry`: before a query is sent again. */
  timeouts: { resolve: number; retry: number };
  /** `resolve_retries`: queries sent before a resolution times out. */
  resolveRetries: number;
  /** `accepted_payload_size`: bigger answers are dropped. */
  acceptedPayloadSize: number;
  where: SourceRef;
}

export interface ProxyConfig {
  file: string;
  global: GlobalSettings;
  /** `resolvers` sections by name. */
  resolvers: Map<string, ResolversConfig>;
  /** Frontend and listen sections, in file order. */
  frontends: ProxySection[];
  /** Backend and listen sections by name. */
  backends: Map<string, ProxySection>;
  /** Every frontend/backend/listen section, in file order. */
  proxies: ProxySection[];
  warnings: ConfigWarning[];
}
