#!/usr/bin/env node
/**
 * `npm run bench`: HAProxy, haplab's TypeScript proxy and two Node peers in front of the
 * same backends, driven by the same wrk, in one run on this machine. See
 * bench/README-table.md for the latest numbers and bench/lib/args.ts for the flags.
 *
 * Phases: HTTP (all proxies, interleaved rounds) → TCP (HAProxy and haplab) → selection
 * micro-benchmark → `haplab check ep09` timings. Each phase's processes are stopped
 * before the next, and every child is stopped on exit, error and Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, type BenchOptions, type TargetId } from './lib/args.js';
import { timeChecks } from './lib/check-hook.js';
import type { Mode } from './lib/configs.js';
import { describeMachine } from './lib/machine.js';
import { runMicro } from './lib/micro.js';
import { killAllNow, peakRssKiB, stop, stopAll } from './lib/procs.js';
import { methodNotes, writeOutputs } from './lib/output.js';
import { checkTargets, computeRatios, summarizePoint, type BenchResults, type TargetResult } from './lib/results.js';
import { measureInRounds, type Test } from './lib/rounds.js';
import { backendTotals, startBackends, startTarget, type Paths, type Target } from './lib/targets.js';
import { findWrk, Wrk } from './lib/wrk.js';

const BULK_KEY = 'bulk-c10';
const log = (line: string) => process.stderr.write(line + '\n');

/** Removed on every way out, Ctrl-C included. */
let tmpDir: string | undefined;
function removeTmp(): void {
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = undefined;
}

function paths(): Paths {
  const benchDist = dirname(fileURLToPath(import.meta.url));
  const root = resolve(benchDist, '../..');
  return {
    root,
    benchDist,
    haplabMain: join(root, 'dist/src/proxy/main.js'),
    haplabCli: join(root, 'dist/src/cli/main.js'),
    tmp: (tmpDir = mkdtempSync(join(os.tmpdir(), 'haplab-bench-'))),
  };
}

/** Measures one mode: starts the targets, runs the rounds, reads peak RSS, stops them. */
async function phase(mode: Mode, ids: TargetId[], tests: Test[], o: BenchOptions, p: Paths, wrk: Wrk, backendPorts: number[]): Promise<TargetResult[]> {
  const targets: Target[] = [];
  for (const id of ids) targets.push(await startTarget(id, mode, backendPorts, p, o.haplabNodeArgs));
  for (const t of targets) log(`  ${t.label} (${mode}): ${t.unavailable ?? `port ${t.port}, ${t.sanity ?? 'no process'}`}`);
  const measured = await measureInRounds(wrk, targets, {
    tests,
    rounds: o.rounds,
    warmupSeconds: o.warmupSeconds,
    log,
    backendTotals: () => backendTotals(backendPorts),
  });
  const results = targets.map((t): TargetResult => {
    const m = measured.get(t);
    const points = m?.points;
    const rss = t.child ? peakRssKiB(t.child.pid) : undefined;
    const died = t.child && !t.child.alive() && !t.unavailable ? 'process exited during the run' : undefined;
    return {
      id: t.id,
      label: t.label,
      mode,
      available: !t.unavailable && points !== undefined,
      note: t.unavailable ?? died,
      sanity: t.sanity,
      peakRssMiB: rss !== undefined ? rss / 1024 : undefined,
      serverConnections: m?.server.connections,
      serverRequests: m?.server.requests,
      points: Object.fromEntries(Object.entries(points ?? {}).map(([k, v]) => [k, summarizePoint(v)])),
    };
  });
  await Promise.all(targets.map((t) => (t.child ? stop(t.child) : undefined)));
  return results;
}

async function main(o: BenchOptions): Promise<BenchResults> {
  const p = paths();
  try {
    return await measureAll(o, p);
  } finally {
    removeTmp();
  }
}

async function measureAll(o: BenchOptions, p: Paths): Promise<BenchResults> {
  const began = performance.now();
  const wrkBin = findWrk();
  const wrk = wrkBin ? new Wrk(wrkBin, p.tmp) : undefined;
  const machine = await describeMachine(wrk ? await wrk.version() : 'wrk not installed');
  const notes = methodNotes(o, wrk !== undefined);

  let http: TargetResult[] = [];
  let tcp: TargetResult[] = [];
  if (wrk && (!o.skip.includes('http') || !o.skip.includes('tcp'))) {
    log(`starting ${o.backends} backends`);
    const backends = await startBackends(p, o.backends);
    try {
      if (!o.skip.includes('http')) {
        log('HTTP phase');
        const tests: Test[] = o.connections.map((c) => ({ key: `c${c}`, path: '/', connections: c, seconds: o.seconds }));
        http = await phase('http', o.only, tests, o, p, wrk, backends.ports);
      }
      if (!o.skip.includes('tcp')) {
        log('TCP phase');
        // The plain peer in mode tcp is twenty lines of socket.pipe (bench/peers/tcp-pipe-peer.ts).
        const ids = o.only.filter((id) => id === 'haproxy' || id === 'haplab' || id === 'plain');
        const tests: Test[] = [
          ...o.tcpConnections.map((c) => ({ key: `c${c}`, path: '/', connections: c, seconds: o.tcpSeconds })),
          { key: BULK_KEY, path: '/bulk', connections: 10, seconds: o.tcpSeconds },
        ];
        if (ids.length) tcp = await phase('tcp', ids, tests, o, p, wrk, backends.ports);
      }
    } finally {
      await Promise.all(backends.children.map((c) => stop(c)));
    }
  }

  let micro: BenchResults['micro'];
  if (!o.skip.includes('micro')) {
    log('selection micro-benchmark');
    micro = await runMicro(p, [3, 100, 1000], o.microRuns, o.microPicks);
  }
  let checks: BenchResults['checks'];
  if (!o.skip.includes('check')) {
    log('haplab check ep09 timings');
    checks = await timeChecks(p, o.checkTimeoutS, log);
  }

  machine.loadAfter = os.loadavg()[0];
  const ratios = computeRatios(http, o.connections);
  const { quick, rounds, seconds, tcpSeconds, warmupSeconds, connections, tcpConnections, backends, haplabNodeArgs, microRuns, microPicks } = o;
  return {
    machine,
    options: { quick, rounds, seconds, tcpSeconds, warmupSeconds, connections, tcpConnections, backends, haplabNodeArgs, microRuns, microPicks },
    notes,
    http,
    tcp,
    ratios,
    micro,
    checks,
    targets: checkTargets({ ratios, micro, http, tcp, tcpKeys: tcp.length ? [...o.tcpConnections.map((c) => `c${c}`), BULK_KEY] : [] }),
    durationS: (performance.now() - began) / 1000,
  };
}

// Children must not outlive the harness, whatever ends it.
process.once('exit', () => {
  killAllNow();
  removeTmp();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping every child process`);
    void stopAll().finally(() => process.exit(130));
  });
}

let options: ReturnType<typeof parseArgs>;
try {
  options = parseArgs(process.argv.slice(2));
} catch (err) {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(USAGE + '\n');
} else {
  const o = options;
  try {
    const results = await main(o);
    writeOutputs(results, o, resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
  } catch (err) {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
}
