/**
 * Every process the harness starts goes through here, so that all of them — backends,
 * proxies, wrk, the micro-benchmark — are ended at the end, on error and on Ctrl-C.
 * Only processes this registry spawned are ever signalled, by their own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { PortAllocator } from '../../src/runtime/local/ports.js';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last few KiB of stderr and stdout, to explain a process that died. */
  output(): string;
  exited: Promise<number | null>;
  alive(): boolean;
}

const TAIL = 4096;
const children = new Set<Child>();
/** Set once the harness is shutting down: nothing new may start after stopAll(). */
let closing = false;

function refuseWhenClosing(name: string): void {
  if (closing) throw new Error(`not starting ${name}: the harness is stopping`);
}

export function start(name: string, command: string, args: readonly string[], options: { cwd?: string } = {}): Child {
  refuseWhenClosing(name);
  const proc = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-TAIL);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code, signal) => {
      running = false;
      children.delete(child);
      resolve(code ?? (signal ? 128 : null));
    });
    proc.once('error', (err) => {
      running = false;
      children.delete(child);
      keep(Buffer.from(String(err)));
      resolve(null);
    });
  });
  const child: Child = { name, proc, pid: proc.pid ?? -1, output: () => tail, exited, alive: () => running };
  children.add(child);
  return child;
}

/** Runs a command to completion (bounded), returning its output and exit code. */
export async function run(
  name: string,
  command: string,
  args: readonly string[],
  timeoutMs: number,
  options: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; timedOut: boolean }> {
  refuseWhenClosing(name);
  const began = performance.now();
  const proc = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = { name, proc, pid: proc.pid ?? -1, output: () => '', exited: Promise.resolve(null), alive: () => proc.exitCode === null && proc.signalCode === null };
  children.add(child);
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stop(child);
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    proc.once('close', (c) => resolve(c));
    proc.once('error', (err) => {
      stderr += String(err);
      resolve(null);
    });
  });
  clearTimeout(timer);
  children.delete(child);
  return { code, stdout, stderr, ms: performance.now() - began, timedOut };
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stop(child: Child, graceMs = 3000): Promise<void> {
  if (!child.alive()) return;
  child.proc.kill('SIGTERM');
  const gone = await Promise.race([
    new Promise<boolean>((resolve) => child.proc.once('exit', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
  ]);
  if (!gone && child.alive()) child.proc.kill('SIGKILL');
  children.delete(child);
}

export async function stopAll(): Promise<void> {
  closing = true;
  await Promise.all([...children].map((c) => stop(c)));
}

/** Last resort from a synchronous 'exit' handler: no waiting possible, so SIGKILL. */
export function killAllNow(): void {
  closing = true;
  for (const c of children) if (c.alive()) c.proc.kill('SIGKILL');
  children.clear();
}

/** Peak resident set size (VmHWM) of a live process, in KiB; undefined off Linux. */
export function peakRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, all threads) a live process has used, in ms; undefined off
 * Linux. Per request it measures a proxy's own cost, which a loaded machine skews far
 * less than requests per second (those depend on how much CPU the proxy was given).
 */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (USER_HZ = 100).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Ports for the bench's backends and proxies, which bind what their command line or config
 * says: from the local runtime's range outside the kernel's ephemeral one (the load's
 * thousands of outgoing connections take ephemeral ports), never one port twice in a run.
 */
const ports = new PortAllocator('bench');

export function freePort(): Promise<number> {
  return ports.any('a bench process');
}

/** Waits until something accepts on 127.0.0.1:port, or the child dies, or time runs out. */
export async function waitForPort(port: number, child: Child | undefined, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && !child.alive()) throw new Error(`${child.name} exited before listening: ${lastLine(child.output())}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child?.name ?? 'process'} did not listen on port ${port} within ${timeoutMs} ms: ${lastLine(child?.output() ?? '')}`);
}

/**
 * The one line that explains a failure: an ALERT/error line if there is one (HAProxy
 * prints NOTICE lines first), else the last line; trimmed for a table cell.
 */
export function lastLine(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const telling = lines.find((l) => /ALERT|error|Error/.test(l)) ?? lines.at(-1) ?? '(no output)';
  return telling.replace(/^\[(ALERT|WARNING|NOTICE)\]\s+\(\d+\)\s*:\s*/, '').slice(0, 200);
}
