/**
 * What /proc says about processes (Linux). Used to tell a live process from a zombie, to
 * find every member of a process group, and to find a run's processes by the environment
 * markers they were started with — the one way to find a process whose pid haplab never
 * got to write down (killed between spawn and the write).
 */
import { readdirSync, readFileSync } from 'node:fs';

export const hasProcfs = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

export interface ProcStat {
  pid: number;
  /** R, S, D, T (stopped), Z (zombie), … */
  state: string;
  ppid: number;
  pgid: number;
}

/** Fields of /proc/PID/stat; the command name in parentheses may itself hold spaces and ')'. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]) };
}

/** The process's environment as it was exec'd; undefined when unreadable or gone. */
export function readEnviron(pid: number): Map<string, string> | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const env = new Map<string, string>();
  for (const entry of raw.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

export function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

export interface FoundProcess extends ProcStat {
  env: Map<string, string>;
}

/** Live (non-zombie) processes whose environment satisfies `match`. */
export function findByEnviron(match: (env: Map<string, string>) => boolean): FoundProcess[] {
  const found: FoundProcess[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const env = readEnviron(pid);
    if (!env || !match(env)) continue;
    const stat = readStat(pid);
    if (stat && stat.state !== 'Z') found.push({ ...stat, env });
  }
  return found;
}

/** Live members of a process group. */
export function groupMembers(pgid: number): ProcStat[] {
  const members: ProcStat[] = [];
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== 'Z') members.push(stat);
  }
  return members;
}
