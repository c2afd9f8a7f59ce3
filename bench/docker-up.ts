/**
 * How long `haplab up` takes for ep09 on Docker with the base images cached: build (layer
 * cache warm) + create + start + ready, median of N runs, with the time spent in each step.
 * Not a test. Run after `npm run build`: node dist/bench/docker-up.js [--runs 3] [--proxy haproxy|ts|both] [--port-shift 21000]
 * (host ports are the catalogue's plus --port-shift, so a lab running on the usual ports does not get in the way).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLab } from '../src/render/lab.js';
import { createDockerRuntime } from '../src/runtime/docker/index.js';
import { loadEpisode } from '../src/lab-schema/catalogue.js';
import { customizeSpec } from '../src/lab-schema/customize.js';
import type { ProxyChoice } from '../src/lab-schema/types.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const runs = Number(flag('runs', '3'));
const proxy = flag('proxy', 'haproxy') as ProxyChoice;
const portShift = Number(flag('port-shift', '21000'));
const runtime = await createDockerRuntime();
const root = await mkdtemp(join(tmpdir(), 'haplab-bench-'));
const dir = join(root, 'bench-ep09');
const spec = customizeSpec(await loadEpisode('ep09'), { images: 'offline', proxy });
for (const f of spec.frontends) f.hostPort += portShift;
await writeLab(spec, dir);
process.stdout.write(`${runtime.describe()} · ep09 (proxy ${proxy}, offline images) · ${runs} runs\n`);

const totals: number[] = [];
const stepTimes = new Map<string, number[]>();
try {
  // One unmeasured run warms the build cache for this lab's contexts and the probe image.
  await runtime.up(dir);
  await runtime.down(dir);
  for (let i = 0; i < runs; i++) {
    let last = performance.now();
    let current: string | undefined;
    const started = last;
    const close = () => {
      const now = performance.now();
      if (current) stepTimes.set(current, [...(stepTimes.get(current) ?? []), now - last]);
      last = now;
    };
    await runtime.up(dir, { onStep: (step) => { close(); current = step; } });
    close();
    const total = performance.now() - started;
    totals.push(total);
    process.stdout.write(`run ${i + 1}: ${(total / 1000).toFixed(2)} s\n`);
    await runtime.down(dir);
  }
} finally {
  await runtime.down(dir).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
process.stdout.write(`median build+up+ready: ${(median(totals) / 1000).toFixed(2)} s\n`);
for (const [step, times] of stepTimes) process.stdout.write(`  ${step.padEnd(36)} ${(median(times) / 1000).toFixed(2)} s\n`);
