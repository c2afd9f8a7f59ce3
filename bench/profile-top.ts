#!/usr/bin/env node
/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and prints the functions with the most self
 * time, and the garbage collector's share, as a markdown table: how the README's profile
 * of the proxy under load is made.
 *
 *   node dist/bench/profile-top.js PROFILE.cpuprofile [N]
 *
 * Shares are of busy time (samples outside "(idle)"). The sampler runs on wall-clock
 * ticks, so on a loaded machine a function that blocks in a system call (writeBuffer)
 * also collects the time the process waited to be scheduled again.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  share: number;
}

/** Self time per function, as shares of busy time, highest first; and the busy ms. */
export function selfTimes(profile: CpuProfile): { rows: ProfileRow[]; busyMs: number; gcShare: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, k) => {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return;
    const where = frame.url ? ` ${frame.url.replace(/^.*\/(dist|node_modules)\//, '').replace(/^node:/, 'node:')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    const dt = profile.timeDeltas[k] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    busy += dt;
  });
  const rows = [...self].map(([name, us]) => ({ name, share: us / busy })).sort((a, b) => b.share - a.share);
  const gcShare = rows.find((r) => r.name.startsWith('(garbage collector)'))?.share ?? 0;
  return { rows, busyMs: busy / 1000, gcShare };
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/profile-top.js PROFILE.cpuprofile [N]\n');
  process.exit(2);
}
const n = Number(process.argv[3] ?? 10);
const { rows, busyMs, gcShare } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
process.stdout.write(`busy ${busyMs.toFixed(0)} ms; garbage collector ${(gcShare * 100).toFixed(1)} % of it\n\n`);
process.stdout.write('| # | self time | function |\n|--:|--:|---|\n');
rows.slice(0, n).forEach((r, k) => process.stdout.write(`| ${k + 1} | ${(r.share * 100).toFixed(1)} % | \`${r.name}\` |\n`));
