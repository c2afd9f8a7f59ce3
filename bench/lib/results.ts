/**
 * The shape of bench/results/*.json, and the derived numbers: haplab's ratios to each
 * peer, and whether the performance targets are met. Profiling compares against these,
 * so they are computed here once and both printed and stored.
 */
import type { BenchOptions, TargetId } from './args.js';
import type { CheckTiming } from './check-hook.js';
import type { Mode } from './configs.js';
import type { Machine } from './machine.js';
import type { MicroResult } from './micro.js';
import type { Point } from './rounds.js';

export interface PointSummary {
  rps: number;
  /** MB/s (10^6 bytes) of response bytes as wrk received them. */
  mbps: number;
  p50Ms: number;
  p99Ms: number;
  socketErrors: number;
  statusErrors: number;
  rounds: number;
  perRound: { rps: number; p50Ms: number; p99Ms: number }[];
  failures: string[];
  /** The proxy process's CPU µs per request (utime + stime over the point), median over rounds. */
  cpuUsPerRequest?: number;
}

export interface TargetResult {
  id: TargetId;
  label: string;
  mode: Mode;
  available: boolean;
  note?: string;
  sanity?: string;
  peakRssMiB?: number;
  /**
   * Connections the backends accepted from this proxy, and requests they served, over
   * its whole phase: far fewer connections than requests means server keep-alive works.
   */
  serverConnections?: number;
  serverRequests?: number;
  /** Keyed by test: "c10" (HTTP/TCP small responses at 10 connections), "bulk-c10". */
  points: Record<string, PointSummary>;
}

export interface Ratio {
  connections: number;
  peer: TargetId;
  /** haplab ÷ peer. */
  rps?: number;
  p99?: number;
  /** haplab's CPU µs per request ÷ the peer's. */
  cpu?: number;
}

export interface TargetCheck {
  goal: string;
  status: 'met' | 'not met' | 'n/a';
  detail: string;
}

export interface BenchResults {
  machine: Machine;
  options: Pick<BenchOptions, 'quick' | 'rounds' | 'seconds' | 'tcpSeconds' | 'warmupSeconds' | 'connections' | 'tcpConnections' | 'backends' | 'haplabNodeArgs' | 'microRuns' | 'microPicks'>;
  notes: string[];
  http: TargetResult[];
  tcp: TargetResult[];
  ratios: Ratio[];
  micro?: MicroResult;
  checks?: CheckTiming[];
  targets: TargetCheck[];
  durationS: number;
}

export function summarizePoint(p: Point): PointSummary {
  const ms = (us: number) => us / 1000;
  return {
    rps: p.rps,
    mbps: p.throughput / 1e6,
    p50Ms: ms(p.p50Us),
    p99Ms: ms(p.p99Us),
    socketErrors: p.socketErrors,
    statusErrors: p.statusErrors,
    rounds: p.rounds,
    perRound: p.samples.map((s) => ({ rps: s.rps, p50Ms: ms(s.p50Us), p99Ms: ms(s.p99Us) })),
    failures: p.failures,
    cpuUsPerRequest: p.cpuUsPerRequest,
  };
}

function point(results: TargetResult[], id: TargetId, key: string): PointSummary | undefined {
  const p = results.find((r) => r.id === id && r.available)?.points[key];
  return p && p.rounds > 0 ? p : undefined;
}

export function computeRatios(http: TargetResult[], connections: number[]): Ratio[] {
  const out: Ratio[] = [];
  for (const c of connections) {
    const mine = point(http, 'haplab', `c${c}`);
    for (const peer of ['haproxy', 'http-proxy', 'plain'] as const) {
      const theirs = point(http, peer, `c${c}`);
      out.push({
        connections: c,
        peer,
        rps: mine && theirs ? mine.rps / theirs.rps : undefined,
        p99: mine && theirs ? mine.p99Ms / theirs.p99Ms : undefined,
        cpu: mine?.cpuUsPerRequest && theirs?.cpuUsPerRequest ? mine.cpuUsPerRequest / theirs.cpuUsPerRequest : undefined,
      });
    }
  }
  return out;
}

const conns = (c: number) => `${c} connection${c === 1 ? '' : 's'}`;

/** What checkTargets reads besides the HTTP ratios (issue 15's targets). */
export interface TargetInputs {
  ratios: Ratio[];
  micro: MicroResult | undefined;
  http: TargetResult[];
  tcp: TargetResult[];
  tcpKeys: string[];
}

/** The performance targets (the README's Targets table); each is checked at the levels it names, or all measured. */
export function checkTargets(input: TargetInputs): TargetCheck[] {
  const { ratios, micro } = input;
  const out: TargetCheck[] = [];
  const ratio = (c: number, peer: TargetId) => ratios.find((r) => r.connections === c && r.peer === peer);
  const judge = (goal: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push(value === undefined ? { goal, status: 'n/a', detail: 'not measured' } : { goal, status: ok(value) ? 'met' : 'not met', detail: show(value) });
  const times = (v: number) => `${v.toFixed(2)}×`;
  const levels = [...new Set(ratios.map((r) => r.connections))];
  for (const c of levels) {
    const floor = c === 1 ? 0.9 : 0.85;
    judge(`req/s ≥ ${floor}× HAProxy at ${conns(c)}`, ratio(c, 'haproxy')?.rps, (v) => v >= floor, times);
  }
  for (const c of levels) judge(`req/s ≥ 1.5× plain Node at ${conns(c)}`, ratio(c, 'plain')?.rps, (v) => v >= 1.5, times);
  for (const c of levels) judge(`p99 ≤ 1.5× HAProxy's at ${conns(c)}`, ratio(c, 'haproxy')?.p99, (v) => v <= 1.5, times);
  const tcpRatio = (key: string, bytes: boolean) => {
    const mine = point(input.tcp, 'haplab', key);
    const theirs = point(input.tcp, 'haproxy', key);
    if (!mine || !theirs) return undefined;
    return bytes ? mine.mbps / theirs.mbps : mine.rps / theirs.rps;
  };
  for (const key of input.tcpKeys) {
    const bulk = key.startsWith('bulk');
    const floor = bulk ? 0.75 : 0.9;
    judge(`mode tcp ${bulk ? '1 MiB responses MB/s' : `small responses req/s at ${conns(Number(key.slice(1)))}`} ≥ ${floor}× HAProxy`, tcpRatio(key, bulk), (v) => v >= floor, times);
  }
  const rss = input.http.find((t) => t.id === 'haplab')?.peakRssMiB;
  judge('peak RSS ≤ 48 MiB under the HTTP load', rss, (v) => v <= 48, (v) => `${v.toFixed(1)} MiB`);
  if (micro && 'ns' in micro && micro.sizes.includes(1000)) {
    for (const [label, bySize] of Object.entries(micro.ns)) {
      judge(`selection ≤ 100 ns at 1,000 servers: ${label}`, bySize['1000'], (v) => v <= 100, (v) => `${v.toFixed(0)} ns`);
    }
  } else {
    out.push({ goal: 'selection ≤ 100 ns at 1,000 servers', status: 'n/a', detail: micro && 'unavailable' in micro ? micro.unavailable : 'not measured' });
  }
  return out;
}
