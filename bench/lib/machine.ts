/** What the numbers were measured on, printed above every table. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { run } from './procs.js';
import { HAPROXY_BIN } from './targets.js';

export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  haproxy: string;
  wrk: string;
  date: string;
  /** 1-minute load average before and after: a hint of how busy the shared machine was. */
  loadBefore: number;
  loadAfter?: number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export async function describeMachine(wrkVersion: string): Promise<Machine> {
  wrkVersion = wrkVersion.replace(/\s*Copyright.*$/, '');
  const hv = await run('haproxy -v', HAPROXY_BIN, ['-v'], 5000).catch(() => undefined);
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    haproxy: hv?.stdout.split('\n')[0]?.replace(/ - https?:.*$/, '').trim() || 'not installed',
    wrk: wrkVersion,
    date: new Date().toISOString(),
    loadBefore: os.loadavg()[0]!,
  };
}
