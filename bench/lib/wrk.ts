/**
 * The load generator: Debian's wrk, one thread (the machine has two cores and the
 * proxy under test needs one), reporting through a Lua `done` hook so the numbers come
 * as exact integers (µs, counts) rather than wrk's rounded human text.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './procs.js';

export interface WrkResult {
  requests: number;
  durationS: number;
  bytes: number;
  rps: number;
  /** Bytes per second. */
  throughput: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  /** connect + read + write + timeout socket errors, and non-2xx/3xx answers. */
  socketErrors: number;
  statusErrors: number;
}

// wrk's LuaJIT: %.0f, not %d, because percentile() returns a Lua number (a double).
const REPORT_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us":%.0f,"requests":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f}\\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

export const WRK_CANDIDATES = ['/usr/bin/wrk', '/usr/local/bin/wrk'];

export function findWrk(): string | undefined {
  return WRK_CANDIDATES.find((p) => existsSync(p));
}

export class Wrk {
  private readonly script: string;

  constructor(
    private readonly binary: string,
    tmpDir: string,
  ) {
    this.script = join(tmpDir, 'report.lua');
    writeFileSync(this.script, REPORT_LUA);
  }

  /** One measurement point; throws if wrk fails or produced no report. */
  async measure(url: string, connections: number, seconds: number): Promise<WrkResult> {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', this.script, url];
    // Bounded: wrk ends itself after -d, but a wedged proxy must not hang the harness.
    const r = await run('wrk', this.binary, args, (seconds + 15) * 1000);
    const line = r.stdout.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk ${r.timedOut ? 'timed out' : `exited ${r.code}`} without a report: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
    const j = JSON.parse(line.slice('WRKJSON '.length)) as Record<string, number>;
    const durationS = j.duration_us! / 1e6;
    return {
      requests: j.requests!,
      durationS,
      bytes: j.bytes!,
      rps: j.requests! / durationS,
      throughput: j.bytes! / durationS,
      p50Us: j.p50!,
      p90Us: j.p90!,
      p99Us: j.p99!,
      maxUs: j.max!,
      socketErrors: j.connect! + j.read! + j.write! + j.timeout!,
      statusErrors: j.status!,
    };
  }

  async version(): Promise<string> {
    const r = await run('wrk -v', this.binary, ['-v'], 5000);
    return (r.stdout + r.stderr).split('\n')[0]?.trim() ?? 'wrk';
  }
}
