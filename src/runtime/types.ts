/**
 * The Runtime interface: how a rendered lab directory becomes running parts, and how the
 * verifier reaches them. Two implementations: docker (dockerode) and local (child processes).
 */
import type { LabSpec, Mode, ProxyKind } from '../spec/types.js';

export type RuntimeKind = 'docker' | 'local';

/** One published frontend of one proxy, reachable from this host. */
export interface Endpoint {
  proxy: ProxyKind;
  frontend: string;
  mode: Mode;
  host: string;
  port: number;
  /** http://host:port for HTTP frontends, tcp://host:port for TCP ones. */
  url: string;
}

/** A running lab as the layers above see it. */
export interface LabInstance {
  /** The lab's name (label io.haplab.lab on Docker). */
  lab: string;
  runtime: RuntimeKind;
  dir: string;
  spec: LabSpec;
  endpoints: Endpoint[];
  /** HAProxy-compatible stats CSV endpoints (`…/stats;csv`), per proxy, when published. */
  stats: { proxy: ProxyKind; url: string }[];
  /**
   * The haproxy.cfg each proxy runs, as a file the caller can read: the lab's own on
   * docker, the local runtime's loopback copy of it locally. Callers read the config
   * through this, never through a runtime's path layout.
   */
  proxyConfigs: { proxy: ProxyKind; file: string }[];
  /** Substitutions and choices the runtime made, said to the user and put in the report. */
  notes: string[];
}

/** One request the verifier wants sent. */
export interface ProbeRequest {
  proxy: ProxyKind;
  frontend: string;
  method: string;
  /** Path with query string. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send from this client address (needs a client pool that holds it). */
  sourceAddress?: string;
  /**
   * fresh: a new connection per request (default) · keepalive: reuse one connection per
   * client for the whole batch · tcp: raw TCP, one connection, an HTTP/1.0 request written by hand.
   */
  connection?: 'fresh' | 'keepalive' | 'tcp';
  /**
   * keepalive only: requests of the batch that name the same session (from the same client
   * address, to the same target) share one connection, and different sessions never do; a
   * session's connection is closed once its last request is answered. Default: one session.
   */
  session?: string;
}

export interface ProbeResponse {
  /** HTTP status; 0 when no response came. */
  status: number;
  /** The X-Served-By header: the app that answered. */
  servedBy?: string;
  body: string;
  /** Why no response came (connection refused, reset, timeout). */
  error?: string;
  /** The client side of the TCP connection that carried it (address:port), when known. */
  connection?: string;
  /** Milliseconds since the batch started, when the request was sent and answered. */
  sentAtMs: number;
  doneAtMs: number;
}

export interface ProbeBatchOptions {
  /** The response header that names the server (default X-Served-By: haplab's apps set it). */
  servedByHeader?: string;
  /** Requests in flight at once. Default 1 (sequential). */
  concurrency?: number;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /**
   * Each client waits this long after an answer before its next request. HAProxy releases a
   * stream (its server's `served` count) just after the client has the answer; random(N)
   * compares those counts, so back-to-back sequential requests would see a busy server.
   */
  pauseMs?: number;
}

/** Sends probe traffic into a running lab, from the addresses the lab's checks need. */
export interface Prober {
  /**
   * Makes `count` client addresses usable as sourceAddress, inside `subnet` when given
   * (ep04's 192.168.1.0/24), and returns them.
   */
  clientAddresses(count: number, subnet?: string): Promise<string[]>;
  send(requests: ProbeRequest[], options?: ProbeBatchOptions): Promise<ProbeResponse[]>;
  close(): Promise<void>;
}

export interface UpOptions {
  signal?: AbortSignal;
  /** Reports each step (listr2 in the CLI). */
  onStep?: (step: string) => void;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /** Where the runtime's engine was found, said once to the user ("docker: unix:///var/run/docker.sock"). */
  describe(): string;
  /** Builds (if needed) and starts the lab in `dir`; idempotent; ready means ports answer. */
  up(dir: string, options?: UpOptions): Promise<LabInstance>;
  /** The running lab in `dir`, or undefined when it is not up. */
  inspect(dir: string): Promise<LabInstance | undefined>;
  /** Removes everything the lab made; nothing else. */
  down(dir: string): Promise<void>;
  /** Removes every lab this runtime made. Returns the lab names removed. */
  downAll(): Promise<string[]>;
  /** Running labs. */
  list(): Promise<LabInstance[]>;
  /** A prober for a running lab. */
  prober(instance: LabInstance): Promise<Prober>;
  /** Stops or pauses one app (fault injection, failover checks); start again with resume. */
  disrupt?(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void>;
  resume?(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void>;
}
