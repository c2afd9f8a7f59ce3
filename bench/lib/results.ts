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
      });
    }
  }
  return out;
}

const conns = (c: number) => `${c} connection${c === 1 ? '' : 's'}`;

/** The performance targets (the README's Targets table); each is checked at the levels it names, or all measured. */
export function checkTargets(ratios: Ratio[], micro: MicroResult | undefined): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ratio = (c: number, peer: TargetId) => ratios.find((r) => r.connections === c && r.peer === peer);
  const judge = (goal: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) =>
    out.push(value === undefined ? { goal, status: 'n/a', detail: 'not measured' } : { goal, status: ok(value) ? 'met' : 'not met', detail: show(value) });
  const levels = [...new Set(ratios.map((r) => r.connections))];
  for (const c of levels.filter((l) => l === 10 || l === 100)) {
    judge(`req/s ≥ 75 % of HAProxy at ${conns(c)}`, ratio(c, 'haproxy')?.rps, (v) => v >= 0.75, (v) => `${(v * 100).toFixed(0)} %`);
  }
  for (const c of levels) {
    judge(`req/s ≥ 1.4× plain Node at ${conns(c)}`, ratio(c, 'plain')?.rps, (v) => v >= 1.4, (v) => `${v.toFixed(2)}×`);
  }
  for (const c of levels) {
    judge(`p99 ≤ 2× HAProxy's at ${conns(c)}`, ratio(c, 'haproxy')?.p99, (v) => v <= 2, (v) => `${v.toFixed(2)}×`);
  }
  if (micro && 'ns' in micro && micro.sizes.includes(1000)) {
    for (const [label, bySize] of Object.entries(micro.ns)) {
      judge(`selection ≤ 100 ns at 1,000 servers: ${label}`, bySize['1000'], (v) => v <= 100, (v) => `${v.toFixed(0)} ns`);
    }
  } else {
    out.push({ goal: 'selection ≤ 100 ns at 1,000 servers', status: 'n/a', detail: micro && 'unavailable' in micro ? micro.unavailable : 'not measured' });
  }
  return out;
}
