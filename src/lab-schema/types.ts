/**
 * The lab spec: one YAML file per episode under labs/, copied into every lab directory
 * as lab.yaml. Every other artifact (Flask apps, Dockerfiles, haproxy.cfg, compose file)
 * is rendered from it, and the verifier computes its expectations from it.
 */

export const ALGORITHMS = [
  'roundrobin',
  'static-rr',
  'leastconn',
  'first',
  'random',
  'source',
  'uri',
  'hdr',
  'url_param',
] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Algorithms that hash what only HTTP carries; HAProxy falls back to roundrobin on a TCP backend. */
export const HTTP_ONLY_ALGORITHMS = ['uri', 'hdr', 'url_param'] as const satisfies readonly Algorithm[];

export const HASH_TYPES = ['map-based', 'consistent'] as const;
export type HashType = (typeof HASH_TYPES)[number];

export const PROXY_KINDS = ['haproxy', 'ts'] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];
export type ProxyChoice = ProxyKind | 'both';

/** official: python:3.12-slim, haproxy:2.9, node:24-slim · offline: haplab's own, built with debootstrap (images.ts). */
export type ImageFlavor = 'official' | 'offline';

export type Mode = 'http' | 'tcp';

/** HAProxy's upper bound for `weight` (doc/configuration.txt: "between 0 and 256"). */
export const MAX_WEIGHT = 256;

export interface RouteSpec {
  /** A Flask rule, e.g. "/", "/data", "/static/<path:filename>". */
  path: string;
  /** HTTP methods Flask accepts on this route; GET when absent. */
  methods?: string[];
  /** A plain-text body (the seed's response texts). */
  text?: string;
  /** A JSON body, returned as Flask returns a dict. */
  json?: unknown;
  /** Serve files from this directory (relative to the app) with send_from_directory. */
  staticDir?: string;
  /** Seconds this route sleeps before answering (on top of the app's delaySeconds). */
  delaySeconds?: number;
  /** ep10: the body is `NAME: VALUE` of this request header as the app received it (`(none)` when absent). */
  echoHeader?: string;
}

export interface AppSpec {
  /** Service name in the compose file and host name on the lab network. */
  name: string;
  /** The port the app listens on, as in the seed (5001, 5002, …). */
  port: number;
  routes: RouteSpec[];
  /** ep06: seconds the app sleeps before answering. */
  delaySeconds?: number;
  /** Static files shipped with the app: path relative to the app dir → content. */
  files?: Record<string, string>;
  /**
   * ep11: this path answers 200 "OK", or 503 while a file named `unhealthy` (HEALTH_FLAG_FILE)
   * exists in the app's directory: the lab flips it to fail the proxies' health checks.
   */
  healthRoute?: string;
  /**
   * Where the swarm runtime may run this app's task: Docker Swarm placement constraints
   * (`node.role==worker`, `node.hostname!=n1`, `node.labels.zone==a`), all of which must
   * hold. Other runtimes run every app on their one machine and ignore it.
   */
  placement?: string[];
}

/** The file whose presence in an app's directory makes its healthRoute answer 503. */
export const HEALTH_FLAG_FILE = 'unhealthy';

export interface ServerSpec {
  /** The name in haproxy.cfg (`server server1 app1:5001`). */
  name: string;
  /** The app this server points at. */
  app: string;
  /** HAProxy weight, 0..256; 0 takes no new traffic. Default 1. */
  weight: number;
  /** `check` on the server line. */
  check: boolean;
  backup?: boolean;
  disabled?: boolean;
  /** ep10: `cookie VALUE` on the server line, for the backend's persistence cookie. */
  cookie?: string;
}

export interface BackendSpec {
  name: string;
  balance: Algorithm;
  /** hdr(NAME) / url_param NAME: the header or parameter; random: draws, as `random(N)`. */
  balanceArg?: string;
  hashType?: HashType;
  servers: ServerSpec[];
  /** ep10: `cookie NAME insert …` persistence. */
  cookie?: CookieSpec;
  /** ep10: `stick-table type ip …` with `stick on src`. */
  stickTable?: StickTableSpec;
  /** `option redispatch`: a request whose server fails may go to another. */
  redispatch?: boolean;
  /** ep11: `option httpchk GET path`, `http-check expect status N`, and `inter/fall/rise` on checked servers. */
  healthCheck?: HealthCheckSpec;
}

/** ep11: how the proxy checks a backend's servers (checked in src/lab-schema/validate-sessions.ts). */
export interface HealthCheckSpec {
  path: string;
  expectStatus: number;
  interMs: number;
  fall: number;
  rise: number;
}

// Session persistence (ep10): checked in src/lab-schema/validate-sessions.ts.

/** `cookie NAME insert [indirect] [nocache]`: each server's value is its ServerSpec.cookie. */
export interface CookieSpec {
  name: string;
  indirect?: boolean;
  nocache?: boolean;
}

/** `stick-table type ip size SIZE expire EXPIREms` and `stick on src`. */
export interface StickTableSpec {
  /** HAProxy's size syntax: a number with an optional k, m or g. */
  size: string;
  expireMs: number;
}

export interface AclSpec {
  name: string;
  /** The rest of the HAProxy `acl` line after the name, e.g. "path_beg /static". */
  criterion: string;
}

export interface FrontendSpec {
  name: string;
  mode: Mode;
  /** The port the proxy binds inside its container (`bind *:80`). */
  bind: number;
  /** Where HAProxy's frontend is published on the host (127.0.0.1). The TS proxy's is hostPort + TS_PORT_OFFSET. */
  hostPort: number;
  acls?: AclSpec[];
  /** HAProxy lines in order: `http-request deny if …`, `use_backend NAME if …`. */
  rules?: string[];
  defaultBackend: string;
  /** What this frontend demonstrates (ep04 has one frontend per example). */
  description?: string;
  /** ep12: the words after `stick-table` (`type ip size 100k expire 30s store http_req_rate(10s)`). */
  stickTable?: string;
  /**
   * ep13: TLS ends here — `bind *:PORT ssl crt TLS_CERT_PATH`, with the certificate `new`
   * makes for the lab (signed by the lab's own CA, TLS_CA_FILE in the lab directory).
   */
  tls?: boolean;
}

export interface LabSpec {
  /** Episode id, e.g. "ep09". */
  id: string;
  title: string;
  /** The episode's heading in the series. */
  episode: string;
  /** What the lab's check must prove, in a sentence. */
  proves: string;
  /** Which proxy the lab runs. Default haproxy. */
  proxy: ProxyChoice;
  /**
   * Pins the base images `up` uses. Absent (the usual case): `up` chooses per machine — the
   * official ones where present or pullable, else haplab's offline ones (built if missing).
   */
  images?: ImageFlavor;
  apps: AppSpec[];
  frontends: FrontendSpec[];
  backends: BackendSpec[];
  /** Global/defaults timeouts in ms (the seed: connect 5000, client/server 50000). */
  timeouts: { connect: number; client: number; server: number };
  /** Said to the learner and written as comments in the generated haproxy.cfg. */
  notes?: string[];
  /**
   * Source-address ACLs need the probe to speak from these ranges (docs/architecture.md): the lab gets
   * an internal client network with this subnet. Absent: the lab's ordinary network.
   */
  clientSubnet?: string;
  /** The lab README's teaching: the concept in a few paragraphs, and things to try by hand (shell lines or sentences). */
  guide?: { concept: string[]; tryByHand: string[] };
}

/** The TypeScript proxy publishes each frontend this far above HAProxy's host port. */
export const TS_PORT_OFFSET = 100;
/** HAProxy's stats page (for lbtot) is published at the first frontend's hostPort + this. */
export const STATS_PORT_OFFSET = 9;
/** Where a proxy container finds the lab's certificate and key (one PEM, HAProxy's `crt`). */
export const TLS_CERT_PATH = '/etc/haplab/tls/site.pem';
/** The certificate and key in each proxy's directory of the lab (copied to TLS_CERT_PATH). */
export const TLS_CERT_FILE = 'site.pem';
/** The lab's CA certificate, in the lab directory: what a client must trust. */
export const TLS_CA_FILE = 'tls/ca.pem';
/** The name the lab's certificate is for: the Host (and SNI) a client uses. */
export const TLS_HOST = 'lab.haplab.test';
/** The stats listener's port inside the proxy container. */
export const STATS_BIND_PORT = 8404;
/**
 * Where a proxy container's runtime API listens (`stats socket ipv4@127.0.0.1:PORT level
 * admin`): inside the container only, reached with `docker exec` (the verifier changes a
 * weight through it to tell roundrobin from static-rr).
 */
export const RUNTIME_API_PORT = 9999;
/** Every generated app adds this header so probes know which server answered. */
export const SERVED_BY_HEADER = 'X-Served-By';

/** The backend whose balancing the lab is about: the first with more than one server, else the first. */
export function primaryBackend(spec: LabSpec): BackendSpec {
  return spec.backends.find((b) => b.servers.length > 1) ?? spec.backends[0]!;
}


/** How a frontend is reached: tcp, http, or https where it terminates TLS (Endpoint.url). */
export const frontendScheme = (f: Pick<FrontendSpec, 'mode' | 'tls'>): 'tcp' | 'http' | 'https' => (f.mode === 'tcp' ? 'tcp' : f.tls ? 'https' : 'http');
