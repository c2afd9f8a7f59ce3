/**
 * Interleaved measurement: every round visits every point (test × target), and each
 * round starts with a different target, so a noisy neighbour or a thermal drift spreads
 * over all proxies instead of biasing the one that happened to run then. The reported
 * value of a point is the median over rounds.
 */
import { cpuMs } from './procs.js';
import { median } from './stats.js';
import type { BackendTotals, Target } from './targets.js';
import type { Wrk, WrkResult } from './wrk.js';

export interface Test {
  /** Key in the results, e.g. "c10" or "bulk-c10". */
  key: string;
  path: string;
  connections: number;
  seconds: number;
}

export interface Point {
  rps: number;
  /** Bytes per second. */
  throughput: number;
  p50Us: number;
  p99Us: number;
  /** Summed over rounds. */
  socketErrors: number;
  statusErrors: number;
  rounds: number;
  samples: WrkResult[];
  failures: string[];
  /** The proxy process's CPU µs per request served (median over rounds); undefined without a process. */
  cpuUsPerRequest?: number;
}

export type PointMap = Record<string, Point>;

export interface RoundPlan {
  tests: Test[];
  rounds: number;
  warmupSeconds: number;
  log: (line: string) => void;
  /** Reads the backends' counters; what changed during a target's points is its own. */
  backendTotals: () => Promise<BackendTotals>;
}

export interface Measured {
  points: PointMap;
  /** Server-side connections and requests caused by this target, warm-up included. */
  server: BackendTotals;
}

function url(t: Target, path: string): string {
  return `http://127.0.0.1:${t.port}${path}`;
}

function summarize(samples: WrkResult[], failures: string[], cpu: number[]): Point {
  return {
    cpuUsPerRequest: cpu.length ? median(cpu) : undefined,
    rps: median(samples.map((s) => s.rps)),
    throughput: median(samples.map((s) => s.throughput)),
    p50Us: median(samples.map((s) => s.p50Us)),
    p99Us: median(samples.map((s) => s.p99Us)),
    socketErrors: samples.reduce((a, s) => a + s.socketErrors, 0),
    statusErrors: samples.reduce((a, s) => a + s.statusErrors, 0),
    rounds: samples.length,
    samples,
    failures,
  };
}

export async function measureInRounds(wrk: Wrk, targets: Target[], plan: RoundPlan): Promise<Map<Target, Measured>> {
  const live = targets.filter((t) => !t.unavailable);
  const server = new Map<Target, BackendTotals>(live.map((t) => [t, { connections: 0, requests: 0 }]));
  let last = await plan.backendTotals();
  // Only one target carries traffic at a time, so a counter delta belongs to it.
  const attribute = async (t: Target) => {
    const now = await plan.backendTotals();
    const mine = server.get(t)!;
    mine.connections += now.connections - last.connections;
    mine.requests += now.requests - last.requests;
    last = now;
  };
  const samples = new Map<Target, Map<string, WrkResult[]>>();
  const failures = new Map<Target, Map<string, string[]>>();
  const cpu = new Map<Target, Map<string, number[]>>();
  for (const t of live) {
    cpu.set(t, new Map(plan.tests.map((x) => [x.key, []])));
    samples.set(t, new Map(plan.tests.map((x) => [x.key, []])));
    failures.set(t, new Map(plan.tests.map((x) => [x.key, []])));
  }

  // Warm-up (discarded): lets V8 optimise the Node proxies' hot paths and fills every
  // connection pool before the first measured point.
  const heaviest = plan.tests.reduce((a, b) => (b.connections > a.connections ? b : a));
  for (const t of live) {
    try {
      await wrk.measure(url(t, heaviest.path), heaviest.connections, plan.warmupSeconds);
    } catch (err) {
      plan.log(`  warm-up of ${t.label} failed: ${String(err)}`);
    }
    await attribute(t);
  }

  for (let r = 0; r < plan.rounds; r++) {
    const order = live.map((_, i) => live[(i + r) % live.length]!);
    plan.log(`  round ${r + 1}/${plan.rounds}: ${order.map((t) => t.id).join(' → ')}`);
    for (const test of plan.tests) {
      for (const t of order) {
        if (t.child && !t.child.alive()) {
          failures.get(t)!.get(test.key)!.push('process exited');
          continue;
        }
        try {
          const before = t.child ? cpuMs(t.child.pid) : undefined;
          const res = await wrk.measure(url(t, test.path), test.connections, test.seconds);
          const after = t.child ? cpuMs(t.child.pid) : undefined;
          samples.get(t)!.get(test.key)!.push(res);
          if (before !== undefined && after !== undefined && res.requests > 0) cpu.get(t)!.get(test.key)!.push(((after - before) * 1000) / res.requests);
        } catch (err) {
          failures.get(t)!.get(test.key)!.push(err instanceof Error ? err.message : String(err));
        }
        await attribute(t);
      }
    }
  }

  const out = new Map<Target, Measured>();
  for (const t of live) {
    const points: PointMap = {};
    for (const test of plan.tests) points[test.key] = summarize(samples.get(t)!.get(test.key)!, failures.get(t)!.get(test.key)!, cpu.get(t)!.get(test.key)!);
    out.set(t, { points, server: server.get(t)! });
  }
  return out;
}
