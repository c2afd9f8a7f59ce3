/**
 * The Runtime interface: how a rendered lab directory becomes running parts, and how the
 * verifier reaches them. Two implementations: docker (dockerode) and local (child processes).
 * Everything a caller outside src/runtime needs is here (and in select.ts / every.ts): it
 * never learns which runtime it holds, and a third runtime is added without touching
 * src/cli or src/verify (docs/architecture.md).
 */
import type { LabSpec, Mode, ProxyKind } from '../lab-schema/types.js';

export type RuntimeKind = 'docker' | 'local' | 'swarm';

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

export type { ProbeBatchOptions, ProbeRequest, ProbeResponse } from '../probe/types.js';
import type { ProbeBatchOptions, ProbeRequest, ProbeResponse } from '../probe/types.js';

/** Sends probe traffic into a running lab, from the addresses the lab's checks need. */
export interface Prober {
  /**
   * Makes `count` client addresses usable as sourceAddress, inside `subnet` when given
   * (ep04's 192.168.1.0/24), and returns them.
   */
  clientAddresses(count: number, subnet?: string): Promise<string[]>;
  send(requests: ProbeRequest[], options?: ProbeBatchOptions): Promise<ProbeResponse[]>;
  close(): Promise<void>;
  /**
   * The one block (CIDR) every client address of this prober lies in, when it cannot speak
   * from the subnets a lab names (a host-side prober: 127.0.0.0/8); undefined when
   * clientAddresses makes addresses in any subnet. Checks that need addresses outside it
   * are skipped with that reason, never passed.
   */
  readonly sourceRange?: string;
  /**
   * A prober for a steady high-rate stream whose source address does not matter (failover:
   * one request per proxy every 50 ms): this prober itself when each call is cheap, else
   * one that is. Absent: use this prober.
   */
  forStream?(): Prober;
  /** Where requests come from, when the report should say so ("this host, to the proxies' published ports"). */
  readonly origin?: string;
  /**
   * One command to a proxy's runtime API (HAProxy's admin `stats socket`, whose weight
   * commands haplab's proxy answers too) and the answer as the proxy wrote it; undefined
   * when this lab's proxy has no such socket this prober can reach. Absent: the runtime
   * cannot reach a runtime API at all.
   */
  runtimeApi?(proxy: ProxyKind, command: string): Promise<string | undefined>;
}

export interface UpOptions {
  signal?: AbortSignal;
  /** Reports each step (listr2 in the CLI). */
  onStep?: (step: string) => void;
  /** How long the lab may take to answer once started (the CLI's --timeout); default the runtime's own. */
  readyTimeoutMs?: number;
}

export interface DownOptions {
  /**
   * Also remove what the runtime built for this lab alone (docker: its images; base and
   * probe images are shared and stay). `check EPISODE` sets it: its one-off lab's images
   * would never be used again. A runtime that builds nothing ignores it.
   */
  images?: boolean;
}

/** What a down removed, for the user. */
export interface TeardownReport {
  /** The labs taken down (names). */
  labs: string[];
  /** Where, in a few words ("local processes", "docker: unix:///var/run/docker.sock"). */
  where: string;
  /** What went, when the runtime counts it ("3 containers, 1 networks, 0 volumes"). */
  removed?: string;
}

/**
 * What a proxy's connect to an app stopped with `disrupt(…, 'stop')` meets, which sets how
 * long a failing health check and a retried request take: `refused` at once (a process
 * gone, its port closed) or `unanswered` until the connect timeout (a container gone with
 * its address).
 */
export type StoppedApp = 'refused' | 'unanswered';

/** What is left of a lab that is not running. */
export interface PartialLab {
  lab: string;
  /** "2 networks, 1 container (exited)". */
  what: string;
  /** The lab directory, when the objects say where it was. */
  dir?: string;
}

/** One thing made on this machine before labs can start (a base image pulled or built). */
export interface PreparationStep {
  title: string;
  /** A reason to skip (e.g. "already there"), or false to run. */
  skip: () => Promise<string | false>;
  /** Does the work; `report` shows progress lines. */
  run: (report: (line: string) => void) => Promise<void>;
}

export interface Runtime {
  /** A label for notes and reports (never a thing to branch on outside src/runtime). */
  readonly kind: RuntimeKind;
  /** Where the runtime's engine was found, said once to the user ("docker: unix:///var/run/docker.sock"). */
  describe(): string;
  /** Builds (if needed) and starts the lab in `dir`; idempotent; ready means ports answer (shared/readiness.ts). */
  up(dir: string, options?: UpOptions): Promise<LabInstance>;
  /** The running lab in `dir`, or undefined when it is not up. */
  inspect(dir: string): Promise<LabInstance | undefined>;
  /** Removes everything the lab made; nothing else. */
  down(dir: string, options?: DownOptions): Promise<TeardownReport>;
  /** Removes every lab this runtime made. */
  downAll(options?: DownOptions): Promise<TeardownReport>;
  /** Running labs. */
  list(): Promise<LabInstance[]>;
  /**
   * Partial labs: what a lab left with no running lab around it (an `up` killed, a reader
   * that went away), so `status` can show it with the command that removes it.
   */
  leftovers(): Promise<PartialLab[]>;
  /** A prober for a running lab. */
  prober(instance: LabInstance): Promise<Prober>;
  /**
   * What must be made on this machine before the lab in `dir` can start (base images pulled
   * or built), as steps a caller shows one by one; none when all is there. `up` does what is
   * left itself. EnvironmentError (exit 3) with the reason when it cannot be made here.
   */
  prepare(dir: string, options?: { signal?: AbortSignal }): Promise<PreparationStep[]>;
  /** Stops or pauses one app (fault injection, failover checks); start again with resume. */
  disrupt?(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void>;
  resume?(instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void>;
  /** How an app stopped by disrupt looks to a proxy (see StoppedApp). */
  readonly stoppedApp: StoppedApp;
  /**
   * Makes an app's healthRoute fail (503) or pass again while the app keeps serving (ep11):
   * the file HEALTH_FLAG_FILE in the app's directory, created or removed.
   */
  setAppHealthy?(instance: LabInstance, app: string, healthy: boolean): Promise<void>;
}
