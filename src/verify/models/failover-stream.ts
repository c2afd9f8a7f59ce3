/**
 * The stream engine of `verify --chaos` (failover.ts): one request per proxy every CADENCE_MS,
 * each on a fresh connection and never waiting for the last, the proxy's stats page polled
 * alongside, and the disruption run in between — the sending, timing and recording, with no
 * judging (failover-judge.ts judges, failover-measure.ts reads the records).
 */
import type { FetchText } from '../lbstats.js';
import { csvUrl } from '../lbstats.js';
import { serverStatus } from '../stats-page-csv.js';
import type { Prober } from '../../runtime/types.js';
import type { BackendSpec, LabSpec, ProxyKind } from '../../lab-schema/types.js';
import { reachedServer, type ChaosHow, type ChaosTimeline, type FailoverExpectation, type FailoverSettings, type StreamRecord } from './failover-judge.js';
import type { FailoverOptions } from './failover.js';
import type { ModelContext } from './types.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};


export const CADENCE_MS = 50;
export const BASELINE_MS = 1000;
export const STATS_EVERY_MS = 100;
export const MAX_IN_FLIGHT = 200;
export const MIN_QUIET_MS = 1000;
export const MAX_QUIET_MS = 3000;
export const STREAM_PATH = '/';
/** How long a stop, pause or resume (with the app's readiness) may take. */
export const FAULT_LIMIT_MS = 90_000;

/**
 * The stream sends one request per proxy every 50 ms: it goes through the prober's stream
 * prober (Prober.forStream), which the runtime makes cheap per call. Source addresses do
 * not matter to failover.
 */

export interface Poll {
  at: number;
  status?: string;
}

// got is loaded on first use, as in lbstats.ts.
const defaultFetch: FetchText = async (url) => (await import('got')).default(url, { timeout: { request: 1500 }, retry: { limit: 0 } }).text();

/** One proxy's share of the running disruption. */
export class ProxyStream {
  readonly records: StreamRecord[] = [];
  /** Send times of requests whose answer has not come back. */
  readonly pending = new Set<{ sentAt: number }>();
  readonly polls: Poll[] = [];
  statsBusy = false;
  lastPollAt = -Infinity;
  timeoutMs: number;
  expectation?: FailoverExpectation;
  settings?: FailoverSettings;
  quietMs = MIN_QUIET_MS;
  slowMs: Record<string, number> = {};
  /** An unanswered request older than this met the disrupted server (set from the baseline). */
  suspectMs = 3000;
  share = 0;
  skipped = 0;

  constructor(readonly proxy: ProxyKind, readonly statsUrl: string | undefined, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Answers known by `now` (in virtual time an answer is known only once its time has come). */
  known(now: number): StreamRecord[] {
    return this.records.filter((r) => r.doneAt <= now);
  }

  /**
   * Where the stream stands on the disrupted server at `now`, for deciding when to resume:
   * the latest send (from `since`) of a request that reached it — answered and failed or
   * slowed, or still unanswered past `suspectMs` (no normal answer takes that long) — and
   * the earliest send whose fate is still open (unanswered, younger than `suspectMs`).
   */
  standing(now: number, since: number): { lastReached?: number; openFrom: number } {
    let lastReached: number | undefined;
    let openFrom = now;
    const reached = (at: number) => { if (at >= since) lastReached = Math.max(lastReached ?? at, at); };
    const open = (at: number) => { if (now - at >= this.suspectMs) reached(at); else openFrom = Math.min(openFrom, at); };
    for (const p of this.pending) open(p.sentAt);
    for (const r of this.records) {
      if (r.doneAt > now) open(r.sentAt);
      else if (reachedServer({ slowMs: this.slowMs }, r)) reached(r.sentAt);
    }
    return { lastReached, openFrom };
  }

  /** Every request sent before this has its answer known. */
  horizon(now: number): number {
    let h = now;
    for (const p of this.pending) h = Math.min(h, p.sentAt);
    for (const r of this.records) if (r.doneAt > now) h = Math.min(h, r.sentAt);
    return h;
  }

  inFlight(now: number): number {
    return this.pending.size + this.records.filter((r) => r.doneAt > now).length;
  }
}

/** One disruption as it happened: the timeline's times (failover-judge.ts), how, and which app. */
export type Disruption = Pick<ChaosTimeline, 'server' | 'disruptStart' | 'disruptEnd' | 'resumeStart' | 'resumeEnd' | 'resumeError' | 'streamEnd'> & {
  how: ChaosHow;
  app: string;
};

/** Runs the stream to every proxy and the disruption in between; all decisions here, all judging in failover-judge.ts. */
export class ChaosRun {
  readonly clock: Clock;
  readonly cadence: number;
  readonly streams: ProxyStream[];
  private next = 0;
  private sending = true;
  private polling = false;

  constructor(
    readonly ctx: ModelContext,
    readonly frontend: string,
    readonly backend: BackendSpec,
    readonly options: FailoverOptions,
    readonly prober: Prober,
  ) {
    this.clock = options.clock ?? realClock;
    this.cadence = options.cadenceMs ?? CADENCE_MS;
    const maxDelay = Math.max(0, ...ctx.spec.apps.map((a) => appDelayMs(ctx.spec, a.name)));
    this.streams = ctx.proxies.map((p) => new ProxyStream(p, ctx.instance.stats.find((s) => s.proxy === p)?.url, 3000 + maxDelay));
    this.next = this.clock.now();
  }

  private fire(stream: ProxyStream): void {
    const now = this.clock.now();
    if (stream.inFlight(now) >= MAX_IN_FLIGHT) {
      stream.skipped++;
      return;
    }
    const mark = { sentAt: now };
    stream.pending.add(mark);
    const request = { proxy: stream.proxy, frontend: this.frontend, method: 'GET', path: STREAM_PATH, connection: 'fresh' as const };
    this.prober.send([request], { timeoutMs: stream.timeoutMs }).then(
      ([r]) => {
        stream.pending.delete(mark);
        const took = r ? Math.max(0, r.doneAtMs - r.sentAtMs) : 0;
        stream.records.push({ sentAt: now, doneAt: now + took, status: r?.status ?? 0, servedBy: r?.servedBy, error: r ? r.error : 'no response' });
      },
      (err: unknown) => {
        stream.pending.delete(mark);
        stream.records.push({ sentAt: now, doneAt: this.clock.now(), status: 0, error: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  private poll(stream: ProxyStream): void {
    const now = this.clock.now();
    if (!stream.statsUrl || stream.statsBusy || now - stream.lastPollAt < STATS_EVERY_MS) return;
    stream.statsBusy = true;
    stream.lastPollAt = now;
    (this.options.fetchText ?? defaultFetch)(csvUrl(stream.statsUrl)).then(
      (csv) => {
        stream.statsBusy = false;
        stream.polls.push({ at: this.clock.now(), status: serverStatus(csv, this.backend.name, this.currentServer ?? '') });
      },
      () => {
        stream.statsBusy = false;
        stream.polls.push({ at: this.clock.now() });
      },
    );
  }

  currentServer?: string;

  /** One tick: a request to every proxy (while sending), a stats read when due, then wait for the next tick. */
  async step(): Promise<void> {
    if (this.sending) for (const s of this.streams) this.fire(s);
    if (this.polling) for (const s of this.streams) this.poll(s);
    this.next += this.cadence;
    const now = this.clock.now();
    if (now > this.next + this.cadence) this.next = now; // fell behind: no burst to catch up
    await this.clock.sleep(Math.max(0, this.next - now));
  }

  /** Ticks until `done` holds or `limitMs` has passed; true when `done` held. */
  async until(done: () => boolean, limitMs: number): Promise<boolean> {
    const start = this.clock.now();
    for (;;) {
      if (done()) return true;
      if (this.clock.now() - start >= limitMs) return false;
      await this.step();
    }
  }

  /** Runs `action` while the stream keeps flowing; resolves with its end time (and error). */
  async during(action: () => Promise<void>, what: string): Promise<{ end: number; error?: string }> {
    let result: { end: number; error?: string } | undefined;
    action().then(
      () => { result ??= { end: this.clock.now() }; },
      (err: unknown) => { result ??= { end: this.clock.now(), error: err instanceof Error ? err.message : String(err) }; },
    );
    await Promise.resolve(); // an action that is already done is seen as done now, not a tick later
    if (!(await this.until(() => result !== undefined, FAULT_LIMIT_MS))) result = { end: this.clock.now(), error: `${what} did not finish in ${FAULT_LIMIT_MS / 1000} s` };
    return result!;
  }

  /** Stops sending and waits (ticking) for every answer. */
  async drain(): Promise<number> {
    this.sending = false;
    const end = this.clock.now();
    const limit = Math.max(...this.streams.map((s) => s.timeoutMs)) + 2000;
    await this.until(() => this.streams.every((s) => s.inFlight(this.clock.now()) === 0), limit);
    return end;
  }

  startPolling(): void {
    this.polling = true;
  }
}

/** How long an app takes to answer the stream's path: its delay and the route's. */
export function appDelayMs(spec: LabSpec, app: string): number {
  const a = spec.apps.find((x) => x.name === app);
  if (!a) return 0;
  const route = a.routes.find((r) => r.path === STREAM_PATH);
  return Math.round(((a.delaySeconds ?? 0) + (route?.delaySeconds ?? 0)) * 1000);
}
