/**
 * Failover under chaos (`verify --chaos stop|pause|both`), on the primary backend: while a
 * steady stream of idempotent GETs flows (one request per proxy every 50 ms, each on a
 * fresh connection, never waiting for the previous one), one backend app is stopped (or
 * paused), the stream goes on until the proxy has taken it out of rotation, then the app
 * is resumed and the stream goes on until it answers again. Every proxy the lab runs gets
 * its own stream during the same disruption.
 *
 * Measured from the client side: the out-of-rotation gap (disruption → the last request
 * that still reached the server: failed, hung, or answered elsewhere only after a retry's
 * delay), the back gap (the app answering again → its first answer to a client) and the
 * requests lost. The proxy's stats page, when published, is read alongside: it says when the
 * server went DOWN where redispatch hid the dead server from every client. What the numbers
 * must be comes from the haproxy.cfg the proxy runs (failover-judge.ts).
 *
 * The server disrupted: the checked server that answered most of a one-second baseline
 * stream, so hashing algorithms (which send the stream's one key to one server) are
 * covered as well as the rotating ones.
 */
import type { FetchText } from '../lbstats.js';
import { csvUrl } from '../lbstats.js';
import { serverStatus } from '../stats-csv.js';

export { serverStatus } from '../stats-csv.js';
import got from 'got';
import type { ProbeResponse, Prober, StoppedApp } from '../../runtime/types.js';
import { primaryBackend, type BackendSpec, type LabSpec, type ProxyKind } from '../../spec/types.js';
import { activeServers } from '../observe.js';
import { skippedCheck, type Check } from '../report/types.js';
import {
  chaosHows, fmtMs, impliedFailover, isOk, judgeBackInRotation, judgeNoLoss, judgeOutOfRotation, readFailoverSettings, reachedServer,
  type ChaosHow, type ChaosMode, type ChaosTimeline, type FailoverExpectation, type FailoverSettings, type StreamRecord,
} from './failover-judge.js';
import type { FaultInjector, Model, ModelContext, ModelResult, ProxyOutcome } from './types.js';
import { tallyServed } from './types.js';

export type { ChaosHow, ChaosMode } from './failover-judge.js';

/** Stops or pauses an app and brings it back: Runtime.disrupt/resume for one lab. */
export interface ChaosFaults {
  disrupt(app: string, how: ChaosHow): Promise<void>;
  resume(app: string, how: ChaosHow): Promise<void>;
  /** How a stopped app looks to a proxy (Runtime.stoppedApp): sets the implied bounds. */
  readonly stoppedApp: StoppedApp;
}

/** A FaultInjector can only stop and start: pause is refused with a reason. */
export function chaosFaultsFrom(faults: FaultInjector | undefined): ChaosFaults | undefined {
  if (!faults) return undefined;
  const refuse = async () => { throw new Error('this runtime can only stop and start apps, not pause them'); };
  return {
    disrupt: (app, how) => (how === 'stop' ? faults.stop(app) : refuse()),
    resume: (app, how) => (how === 'stop' ? faults.start(app) : refuse()),
    stoppedApp: faults.stoppedApp,
  };
}

/** Time for the stream: real by default, virtual in unit tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface FailoverOptions {
  mode: ChaosMode;
  faults?: ChaosFaults;
  /** How the stats CSV is fetched (got by default). */
  fetchText?: FetchText;
  clock?: Clock;
  /** Milliseconds between two requests to one proxy. Default 50. */
  cadenceMs?: number;
  /** The prober the stream uses; default: the lab prober's stream prober (see streamProber). */
  prober?: Prober;
  /** For tests: the settings instead of reading the proxy's haproxy.cfg. */
  settings?: (proxy: ProxyKind, backend: BackendSpec, server: string) => Promise<FailoverSettings>;
}

export const CADENCE_MS = 50;
const BASELINE_MS = 1000;
const STATS_EVERY_MS = 100;
const MAX_IN_FLIGHT = 200;
const MIN_QUIET_MS = 1000;
const MAX_QUIET_MS = 3000;
const STREAM_PATH = '/';
/** How long a stop, pause or resume (with the app's readiness) may take. */
const FAULT_LIMIT_MS = 90_000;

/**
 * The stream sends one request per proxy every 50 ms: it goes through the prober's stream
 * prober (Prober.forStream), which the runtime makes cheap per call. Source addresses do
 * not matter to failover.
 */
function streamProber(ctx: ModelContext, options: FailoverOptions): Prober {
  return options.prober ?? ctx.prober.forStream?.() ?? ctx.prober;
}

/** The HTTP frontend that sends to the primary backend by default, without rules. */
export function chaosFrontend(spec: LabSpec, backend: BackendSpec): string | undefined {
  return spec.frontends.find((f) => f.mode === 'http' && f.defaultBackend === backend.name && !(f.rules?.length))?.name;
}

/** ms an app sleeps before answering the stream's path (ep06's slow apps). */
function appDelayMs(spec: LabSpec, app: string): number {
  const a = spec.apps.find((x) => x.name === app);
  if (!a) return 0;
  const route = a.routes.find((r) => r.path === STREAM_PATH);
  return Math.round(((a.delaySeconds ?? 0) + (route?.delaySeconds ?? 0)) * 1000);
}

function skippedAll(how: ChaosHow, reason: string): Check[] {
  return [
    skippedCheck(`failover.${how}.out-of-rotation`, 'the proxy takes the server out of rotation in time', reason),
    skippedCheck(`failover.${how}.back-in-rotation`, 'the server is back in rotation in time', reason),
    skippedCheck(`failover.${how}.no-loss`, 'no idempotent request lost beyond what the config implies', reason),
  ];
}

interface Poll {
  at: number;
  status?: string;
}

const defaultFetch: FetchText = (url) => got(url, { timeout: { request: 1500 }, retry: { limit: 0 } }).text();

/** One proxy's share of the running disruption. */
class ProxyStream {
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

interface Disruption {
  how: ChaosHow;
  server: string;
  app: string;
  disruptStart: number;
  disruptEnd: number;
  resumeStart: number;
  resumeEnd?: number;
  resumeError?: string;
  streamEnd: number;
}

/** Runs the stream to every proxy and the disruption in between; all decisions here, all judging in failover-judge.ts. */
class ChaosRun {
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

function pickTarget(backend: BackendSpec, run: ChaosRun, now: number): { server: string; app: string; counts: Record<string, number> } {
  const checked = activeServers(backend).filter((s) => s.check);
  const counts: Record<string, number> = {};
  for (const s of run.streams) for (const r of s.known(now)) if (isOk(r) && r.servedBy) counts[r.servedBy] = (counts[r.servedBy] ?? 0) + 1;
  let best = checked[checked.length - 1]!;
  for (const s of checked) if ((counts[s.app] ?? 0) > (counts[best.app] ?? 0)) best = s;
  return { server: best.name, app: best.app, counts };
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function baselineOf(run: ChaosRun, stream: ProxyStream, baselineEnd: number): StreamRecord[] {
  return stream.records.filter((r) => r.sentAt < baselineEnd && r.doneAt <= run.clock.now());
}

/** From the baseline: the target's share of the stream, and the quiet window that follows from it. */
function measureShare(run: ChaosRun, stream: ProxyStream, app: string, baselineEnd: number, cadence: number): void {
  const base = baselineOf(run, stream, baselineEnd);
  stream.share = base.length ? base.filter((r) => isOk(r) && r.servedBy === app).length / base.length : 0;
  stream.quietMs = Math.round(Math.min(MAX_QUIET_MS, Math.max(MIN_QUIET_MS, (4 * cadence) / Math.max(stream.share, 0.05))));
}

/**
 * Per app, the latency above which an answer must have waited on the disrupted server: for
 * that server itself (held while frozen or dead, answered once back), anything slower than a
 * normal answer; for the others, a normal answer plus a retry's delay — where a retry costs
 * time at all. And how long an unanswered request may be before it surely met the server.
 */
function measureSlow(run: ChaosRun, stream: ProxyStream, target: string, baselineEnd: number, e: FailoverExpectation): void {
  const spec = run.ctx.spec;
  const ok = baselineOf(run, stream, baselineEnd).filter(isOk);
  const overhead = Math.max(300, 3 * percentile(ok.map((r) => r.doneAt - r.sentAt - appDelayMs(spec, r.servedBy ?? '')), 0.95) + 200);
  const maxDelay = Math.max(0, ...spec.apps.map((a) => appDelayMs(spec, a.name)));
  stream.suspectMs = maxDelay + Math.max(e.retryLatencyMs ?? 0, overhead);
  stream.slowMs = { [target]: appDelayMs(spec, target) + overhead };
  if (e.retryLatencyMs === undefined) return;
  for (const a of spec.apps) if (a.name !== target) stream.slowMs[a.name] = appDelayMs(spec, a.name) + Math.max(e.retryLatencyMs, overhead);
}

function statsView(stream: ProxyStream, d: Pick<Disruption, 'disruptStart' | 'resumeEnd'>): ChaosTimeline['stats'] {
  const read = stream.polls.filter((p) => p.status !== undefined);
  if (!stream.statsUrl || read.length === 0) return undefined;
  const down = read.find((p) => p.at >= d.disruptStart && /^(DOWN|MAINT)/.test(p.status!));
  const up = d.resumeEnd === undefined ? undefined : read.find((p) => p.at >= d.resumeEnd! && /^UP/.test(p.status!) && !/^UP \d/.test(p.status!));
  return { downAt: down?.at, upAt: up?.at, polls: read.length };
}

function timelineOf(stream: ProxyStream, d: Disruption): ChaosTimeline {
  return {
    how: d.how, app: d.app, server: d.server, records: stream.records,
    disruptStart: d.disruptStart, disruptEnd: d.disruptEnd, resumeStart: d.resumeStart, resumeEnd: d.resumeEnd, resumeError: d.resumeError,
    streamEnd: d.streamEnd, quietMs: stream.quietMs, slowMs: stream.slowMs, stats: statsView(stream, d),
  };
}

function describeSettings(proxy: ProxyKind, s: FailoverSettings): string {
  return `${proxy}: ${s.source}: inter ${fmtMs(s.inter)} rise ${s.rise} fall ${s.fall}, ${s.httpCheck ? 'option httpchk' : 'TCP check'}, timeout connect ${fmtMs(s.timeoutConnect)}, check ${fmtMs(s.timeoutCheck)}, server ${fmtMs(s.timeoutServer)}, retries ${s.retries}, ${s.redispatch ? `option redispatch${s.redispatchInterval !== -1 ? ` ${s.redispatchInterval}` : ''}` : 'no option redispatch'}`;
}

/** One disruption (stop or pause) on every proxy at once; checks per proxy. */
async function runOne(ctx: ModelContext, frontend: string, backend: BackendSpec, how: ChaosHow, options: FailoverOptions, faults: ChaosFaults, notes: string[]): Promise<Map<ProxyKind, { checks: Check[]; records: StreamRecord[] }>> {
  const prober = streamProber(ctx, options);
  const run = new ChaosRun(ctx, frontend, backend, options, prober);
  const clock = run.clock;
  const out = new Map<ProxyKind, { checks: Check[]; records: StreamRecord[] }>();

  ctx.onStep?.(`chaos ${how}: baseline stream to ${frontend}`);
  const start = clock.now();
  await run.until(() => clock.now() - start >= BASELINE_MS, BASELINE_MS);
  const baselineEnd = clock.now();
  // Let the baseline's answers come in (slow apps included) while the stream goes on.
  await run.until(() => run.streams.every((s) => s.horizon(clock.now()) >= baselineEnd), Math.max(...run.streams.map((s) => s.timeoutMs)));
  const target = pickTarget(backend, run, clock.now());
  run.currentServer = target.server;
  const shares = Object.entries(target.counts).map(([a, n]) => `${a} ${n}`).join(', ') || 'no answers';
  notes.push(`chaos ${how}: ${target.server} (${target.app}) disrupted, the checked server that answered most of the baseline stream (${shares})`);
  if (prober !== ctx.prober && prober.origin) notes.push(`chaos ${how}: the stream goes from ${prober.origin} (one request per ${run.cadence} ms per proxy)`);

  for (const stream of run.streams) {
    const settings = await (options.settings ?? ((p, b, s) => readFailoverSettings(ctx.instance, p, b, s)))(stream.proxy, backend, target.server);
    stream.settings = settings;
    measureShare(run, stream, target.app, baselineEnd, run.cadence);
    stream.expectation = impliedFailover(settings, how, {
      stoppedApp: faults.stoppedApp, cadenceMs: run.cadence, share: stream.share || 1 / activeServers(backend).length, appDelayMs: appDelayMs(ctx.spec, target.app),
    });
    measureSlow(run, stream, target.app, baselineEnd, stream.expectation);
    stream.timeoutMs = stream.expectation.requestTimeoutMs;
    notes.push(`chaos ${how}: ${describeSettings(stream.proxy, settings)}`);
  }
  const e = (s: ProxyStream) => s.expectation!;

  // A proxy that has just started holds each server at health = rise, where a single failed
  // check takes it down; wait (the stream flowing) until the stats page shows the server at
  // full health ("UP", not "UP 1/3"), as in a lab that has run a while.
  run.startPolling();
  const settled = (s: ProxyStream) => {
    if (!s.statsUrl) return true;
    const last = s.polls[s.polls.length - 1];
    return last !== undefined && (last.status === undefined || !/^UP \d/.test(last.status));
  };
  const settleStart = clock.now();
  const maxInter = Math.max(...run.streams.map((s) => s.settings!.inter));
  if (!(await run.until(() => run.streams.every(settled), 2 * maxInter + 1000))) {
    notes.push(`chaos ${how}: ${target.server} was not at full health on every stats page after ${fmtMs(clock.now() - settleStart)}; disrupted anyway`);
  }

  ctx.onStep?.(`chaos ${how}: ${how === 'stop' ? 'stopping' : 'pausing'} ${target.app}`);
  const disruptStart = clock.now();
  const disrupted = await run.during(() => faults.disrupt(target.app, how), `${how} ${target.app}`);
  const disruptEnd = disrupted.end;
  if (disrupted.error) {
    await faults.resume(target.app, how).catch(() => undefined);
    await run.drain();
    for (const s of run.streams) out.set(s.proxy, { checks: skippedAll(how, `could not ${how} ${target.app}: ${disrupted.error}`), records: s.records });
    return out;
  }

  let resumed: { end: number; error?: string } | undefined;
  let resumeStart = disruptEnd;
  try {
    ctx.onStep?.(`chaos ${how}: waiting for the proxies to take ${target.server} out of rotation`);
    const outDone = (s: ProxyStream): boolean => {
      const now = clock.now();
      const x = e(s);
      if (!x.detect) return now - disruptStart >= x.watchMs;
      const { lastReached, openFrom } = s.standing(now, disruptEnd);
      const downAt = statsView(s, { disruptStart, resumeEnd: undefined })?.downAt;
      const proxyDone = (downAt !== undefined && openFrom >= downAt) || now - disruptStart >= x.outBoundMs;
      return proxyDone && openFrom - (lastReached ?? disruptEnd) >= s.quietMs;
    };
    const cap = Math.max(...run.streams.map((s) => (e(s).detect ? e(s).outBoundMs : e(s).watchMs) + s.quietMs + e(s).requestTimeoutMs));
    await run.until(() => run.streams.every(outDone), cap - (clock.now() - disruptStart));

    ctx.onStep?.(`chaos ${how}: resuming ${target.app}`);
    resumeStart = clock.now();
    resumed = await run.during(() => faults.resume(target.app, how), `resuming ${target.app}`);
  } finally {
    if (!resumed) await faults.resume(target.app, how).catch(() => undefined);
  }

  if (!resumed.error) {
    ctx.onStep?.(`chaos ${how}: waiting for ${target.server} to be back in rotation`);
    const resumeEnd = resumed.end;
    const back = (s: ProxyStream) => s.known(clock.now()).some((r) => r.sentAt >= resumeEnd && isOk(r) && r.servedBy === target.app);
    const cap = Math.max(...run.streams.map((s) => e(s).backBoundMs + s.quietMs));
    await run.until(() => run.streams.every(back), cap);
  }
  const streamEnd = await run.drain();

  const d: Disruption = {
    how, server: target.server, app: target.app, disruptStart, disruptEnd, resumeStart,
    resumeEnd: resumed.error ? undefined : resumed.end, resumeError: resumed.error, streamEnd,
  };
  for (const s of run.streams) {
    const t = timelineOf(s, d);
    const x = e(s);
    const checks = [judgeOutOfRotation(t, x), judgeBackInRotation(t, x), judgeNoLoss(t, x)];
    if (s.skipped) checks[2]!.detail += `; ${s.skipped} ticks skipped with ${MAX_IN_FLIGHT} requests in flight`;
    out.set(s.proxy, { checks, records: s.records });
  }
  return out;
}

export function failoverModel(spec: LabSpec, options: FailoverOptions): Model {
  const backend = primaryBackend(spec);
  return {
    name: `failover (chaos ${options.mode})`,
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const notes: string[] = [];
      const perProxy: ModelResult['perProxy'] = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} } as ProxyOutcome]));
      const frontend = chaosFrontend(spec, backend);
      const checked = activeServers(backend).filter((s) => s.check);
      const reason = !frontend
        ? `no HTTP frontend sends to ${backend.name} without rules`
        : activeServers(backend).length < 2
          ? `backend ${backend.name} has ${activeServers(backend).length} active server(s): nothing to fail over to`
          : checked.length === 0
            ? `no server of ${backend.name} has \`check\`: the proxy cannot notice a dead server`
            : !options.faults
              ? 'this runtime cannot stop or pause apps'
              : undefined;
      for (const how of chaosHows(options.mode)) {
        if (reason) {
          for (const o of perProxy.values()) o.checks.push(...skippedAll(how, reason));
          continue;
        }
        const result = await runOne(ctx, frontend!, backend, how, options, options.faults!, notes);
        for (const [proxy, r] of result) {
          const o = perProxy.get(proxy)!;
          o.checks.push(...r.checks);
          o.requests += r.records.length;
          o.disrupted = true;
          const asResponses: ProbeResponse[] = r.records.map((x) => ({ status: x.status, servedBy: x.servedBy, body: '', sentAtMs: x.sentAt, doneAtMs: x.doneAt }));
          tallyServed(backend, asResponses, o.served);
        }
      }
      return { perProxy, notes };
    },
  };
}
