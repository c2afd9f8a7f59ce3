/**
 * What `verify --chaos` reads off a stream's records (failover-stream.ts): which server to
 * disrupt, the baseline, the share and delay the stream measured, and the timeline the
 * judges (failover-judge.ts) take.
 */
import type { BackendSpec, ProxyKind } from '../../lab-schema/types.js';
import { activeServers } from '../observe.js';
import { fmtMs, isOk, type ChaosTimeline, type FailoverExpectation, type FailoverSettings, type StreamRecord } from './failover-judge.js';
import { appDelayMs, MAX_QUIET_MS, MIN_QUIET_MS, type ChaosRun, type Disruption, type ProxyStream } from './failover-stream.js';

export function pickTarget(backend: BackendSpec, run: ChaosRun, now: number): { server: string; app: string; counts: Record<string, number> } {
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

export function baselineOf(run: ChaosRun, stream: ProxyStream, baselineEnd: number): StreamRecord[] {
  return stream.records.filter((r) => r.sentAt < baselineEnd && r.doneAt <= run.clock.now());
}

/** From the baseline: the target's share of the stream, and the quiet window that follows from it. */
export function measureShare(run: ChaosRun, stream: ProxyStream, app: string, baselineEnd: number, cadence: number): void {
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
export function measureSlow(run: ChaosRun, stream: ProxyStream, target: string, baselineEnd: number, e: FailoverExpectation): void {
  const spec = run.ctx.spec;
  const ok = baselineOf(run, stream, baselineEnd).filter(isOk);
  const overhead = Math.max(300, 3 * percentile(ok.map((r) => r.doneAt - r.sentAt - appDelayMs(spec, r.servedBy ?? '')), 0.95) + 200);
  const maxDelay = Math.max(0, ...spec.apps.map((a) => appDelayMs(spec, a.name)));
  stream.suspectMs = maxDelay + Math.max(e.retryLatencyMs ?? 0, overhead);
  stream.slowMs = { [target]: appDelayMs(spec, target) + overhead };
  if (e.retryLatencyMs === undefined) return;
  for (const a of spec.apps) if (a.name !== target) stream.slowMs[a.name] = appDelayMs(spec, a.name) + Math.max(e.retryLatencyMs, overhead);
}

export function statsView(stream: ProxyStream, d: Pick<Disruption, 'disruptStart' | 'resumeEnd'>): ChaosTimeline['stats'] {
  const read = stream.polls.filter((p) => p.status !== undefined);
  if (!stream.statsUrl || read.length === 0) return undefined;
  const down = read.find((p) => p.at >= d.disruptStart && /^(DOWN|MAINT)/.test(p.status!));
  const up = d.resumeEnd === undefined ? undefined : read.find((p) => p.at >= d.resumeEnd! && /^UP/.test(p.status!) && !/^UP \d/.test(p.status!));
  return { downAt: down?.at, upAt: up?.at, polls: read.length };
}

export function timelineOf(stream: ProxyStream, d: Disruption): ChaosTimeline {
  return {
    how: d.how, app: d.app, server: d.server, records: stream.records,
    disruptStart: d.disruptStart, disruptEnd: d.disruptEnd, resumeStart: d.resumeStart, resumeEnd: d.resumeEnd, resumeError: d.resumeError,
    streamEnd: d.streamEnd, quietMs: stream.quietMs, slowMs: stream.slowMs, stats: statsView(stream, d),
  };
}

export function describeSettings(proxy: ProxyKind, s: FailoverSettings): string {
  return `${proxy}: ${s.source}: inter ${fmtMs(s.inter)} rise ${s.rise} fall ${s.fall}, ${s.httpCheck ? 'option httpchk' : 'TCP check'}, timeout connect ${fmtMs(s.timeoutConnect)}, check ${fmtMs(s.timeoutCheck)}, server ${fmtMs(s.timeoutServer)}, retries ${s.retries}, ${s.redispatch ? `option redispatch${s.redispatchInterval !== -1 ? ` ${s.redispatchInterval}` : ''}` : 'no option redispatch'}`;
}
