/**
 * What every model shares: the context run.ts gives it, and what it gives back. A model
 * has three parts, kept apart so each can be tested alone: a plan (what to send, how many,
 * from where, how), the sending (through ctx.send, to every proxy on the same traffic), and
 * pure judge functions (responses → checks).
 */
import type { BackendSpec, FrontendSpec, LabSpec, ProxyKind } from '../../lab-schema/types.js';
import type { LabInstance, ProbeBatchOptions, ProbeRequest, ProbeResponse, Prober, StoppedApp } from '../../runtime/types.js';
import type { BalanceOracle, RouteOracle } from '../oracles.js';
import type { Check } from '../report/types.js';
import type { Rng } from '../rng.js';
import type { BalanceEvidence } from '../candidates/evidence.js';

/** A request before it is addressed to a proxy. */
export type Probe = Omit<ProbeRequest, 'proxy' | 'frontend'>;

/** One batch of traffic: the same requests go to each proxy in turn, never to both at once. */
export interface Batch {
  label: string;
  frontend: string;
  probes: Probe[];
  options: ProbeBatchOptions;
  /**
   * Send to every proxy at the same time: only for traffic whose judgement cannot depend on
   * the apps' shared load (sequential random picks, where each proxy compares its own counts).
   */
  proxiesAtOnce?: boolean;
  /**
   * Send to this proxy alone: a phase whose state is each proxy's own (a weight changed
   * through one proxy's runtime API).
   */
  only?: ProxyKind;
}

export type PerProxy<T> = Map<ProxyKind, T>;

/** Stops and starts an app (a server's process or container): Runtime.disrupt/resume. */
export interface FaultInjector {
  stop(app: string): Promise<void>;
  start(app: string): Promise<void>;
  /** How a stopped app looks to a proxy: Runtime.stoppedApp. */
  readonly stoppedApp: StoppedApp;
  /** Fails (or heals) an app's health route while it keeps serving: Runtime.setAppHealthy. */
  setHealthy?(app: string, healthy: boolean): Promise<void>;
}

export interface StatsPolicy {
  alpha: number;
  power: number;
  skew: number;
}

export interface ModelContext {
  spec: LabSpec;
  instance: LabInstance;
  prober: Prober;
  proxies: ProxyKind[];
  rng: Rng;
  /** --requests: every computed count is raised to at least this. */
  minRequests?: number;
  /** α here is per statistical check, after the run-wide Bonferroni split (run.ts). */
  stats: StatsPolicy;
  oracles: { balance?: BalanceOracle; route?: RouteOracle };
  faults?: FaultInjector;
  /**
   * The lab goes down after this run (haplab check), or the user asked: a model may change
   * its runtime state (a weight through the runtime API), which a lab left up would keep.
   */
  changeWeights?: boolean;
  /** Set for late phases when a model of the run stopped, paused or failed a server (Model.changesServers). */
  serversChanged?: boolean;
  send(batch: Batch): Promise<PerProxy<ProbeResponse[]>>;
  /** Progress for the CLI (listr2). */
  onStep?(text: string): void;
}

export interface ProxyOutcome {
  checks: Check[];
  requests: number;
  counts?: Record<string, number>;
  expectedCounts?: Record<string, number>;
  /** Responses per "backend/server", for the stats-CSV cross-check. */
  served: Record<string, number>;
  /** True when the model stopped a server: lbtot then also counts retries and is not compared. */
  disrupted?: boolean;
  /** What a balancing model saw, in the shape candidates are replayed against (candidates/). */
  evidence?: BalanceEvidence;
}

export interface ModelResult {
  perProxy: PerProxy<ProxyOutcome>;
  notes: string[];
  /** Checks across proxies when both ran (the top level of a "both" report). */
  crossChecks?: Check[];
}

export interface Model {
  /** "roundrobin", "acl", … for progress and notes. */
  name: string;
  /** How many statistical checks it makes per proxy: the Bonferroni count. */
  statisticalChecks: number;
  run(ctx: ModelContext): Promise<ModelResult>;
  /**
   * A phase that changes the lab's runtime state for good (a weight through the runtime
   * API): run.ts runs it after every model has run, so no other model's traffic meets the
   * change. It adds its checks and evidence to `result`'s outcomes.
   */
  late?(ctx: ModelContext, result: ModelResult): Promise<void>;
  /** It stops, pauses or fails a server's health checks, which changes a rotation's hidden state. */
  readonly changesServers?: boolean;
}

/** Raises a computed count by --requests. */
export function atLeast(computed: number, minRequests: number | undefined): number {
  return Math.max(computed, minRequests ?? 0);
}

/**
 * Tallies responses per "backend/server" (the stats-CSV cross-check compares these with
 * lbtot), and those that got no HTTP answer at all under "backend/(no answer)": the proxy may
 * have picked a server for each (a timeout after the pick), which no client can name.
 */
export function tallyServed(backend: BackendSpec, responses: readonly ProbeResponse[], into: Record<string, number> = {}): Record<string, number> {
  for (const r of responses) {
    const server = backend.servers.find((s) => s.app === r.servedBy);
    const key = server ? `${backend.name}/${server.name}` : r.status === 0 ? `${backend.name}/${UNANSWERED}` : undefined;
    if (key) into[key] = (into[key] ?? 0) + 1;
  }
  return into;
}

/** The pseudo-server of tallyServed's requests that got no answer. */
export const UNANSWERED = '(no answer)';

export function frontendOf(spec: LabSpec, name: string): FrontendSpec {
  const f = spec.frontends.find((x) => x.name === name);
  if (!f) throw new Error(`no frontend ${name}`);
  return f;
}
