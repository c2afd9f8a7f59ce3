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

export { serverStatus } from '../stats-page-csv.js';
import type { ProbeResponse, Prober, StoppedApp } from '../../runtime/types.js';
import { primaryBackend, type BackendSpec, type LabSpec, type ProxyKind } from '../../lab-schema/types.js';
import { activeServers } from '../observe.js';
import { skippedCheck, type Check } from '../report/types.js';
import {
  chaosHows, fmtMs, impliedFailover, isOk, judgeBackInRotation, judgeNoLoss, judgeOutOfRotation, readFailoverSettings,
  type ChaosHow, type ChaosMode, type FailoverSettings, type StreamRecord,
} from './failover-judge.js';
import type { FaultInjector, Model, ModelContext, ModelResult, ProxyOutcome } from './types.js';
import { tallyServed } from './types.js';
import { appDelayMs, BASELINE_MS, ChaosRun, MAX_IN_FLIGHT, ProxyStream, type Clock, type Disruption } from './failover-stream.js';
import { describeSettings, measureShare, measureSlow, pickTarget, statsView, timelineOf } from './failover-measure.js';

export { CADENCE_MS, realClock, type Clock } from './failover-stream.js';

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

function streamProber(ctx: ModelContext, options: FailoverOptions): Prober {
  return options.prober ?? ctx.prober.forStream?.() ?? ctx.prober;
}

/** The HTTP frontend that sends to the primary backend by default, without rules. */
export function chaosFrontend(spec: LabSpec, backend: BackendSpec): string | undefined {
  return spec.frontends.find((f) => f.mode === 'http' && f.defaultBackend === backend.name && !(f.rules?.length))?.name;
}

/** ms an app sleeps before answering the stream's path (ep06's slow apps). */

function skippedAll(how: ChaosHow, reason: string): Check[] {
  return [
    skippedCheck(`failover.${how}.out-of-rotation`, 'the proxy takes the server out of rotation in time', reason),
    skippedCheck(`failover.${how}.back-in-rotation`, 'the server is back in rotation in time', reason),
    skippedCheck(`failover.${how}.no-loss`, 'no idempotent request lost beyond what the config implies', reason),
  ];
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
    changesServers: true,
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
