/**
 * ep02 on the local runtime, through verifyLab as `haplab check` runs it: the apps keep
 * connections alive, so tcp.keepalive-sticks RUNS and passes on both proxies — with Flask
 * under waitress behind HAProxy and haplab's TypeScript proxy, and with the Node replicas.
 * Then each proxy's running config is switched to `mode http` and the proxies restarted:
 * they balance each request of a kept-alive connection, and tcp.keepalive-sticks fails.
 * Last, a Python where waitress does not import: the apps fall back to Flask's development
 * server, the lab's notes say so, and the check fails with that reason (never skipped).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLab } from '../../src/render/lab.js';
import { createLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../src/runtime/local/index.js';
import type { LabInstance } from '../../src/runtime/types.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { customizeSpec } from '../../src/lab-schema/customize.js';
import type { LabSpec } from '../../src/lab-schema/types.js';
import type { Check, Report } from '../../src/verify/report/types.js';
import { verifyLab } from '../../src/verify/run.js';
import { specOracles } from '../../src/verify/spec-oracles.js';
import { labOnTestPorts } from '../helpers/ports.js';
import { DIST, FLASK, HAPROXY, WAITRESS, itWithTool, type Tool } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-ep02-keepalive-'));
const registryDir = join(root, 'registry');
const runtimes: LocalRuntime[] = [];

afterAll(async () => {
  for (const runtime of runtimes) await runtime.downAll();
  rmSync(root, { recursive: true, force: true });
});

/** On ports reserved for this process (test/helpers/ports.ts), away from the catalogue's. */
async function ep02Both(): Promise<LabSpec> {
  return labOnTestPorts(customizeSpec(await loadEpisode('ep02'), { proxy: 'both' }));
}

async function up(name: string, options: LocalRuntimeOptions): Promise<{ runtime: LocalRuntime; instance: LabInstance }> {
  const runtime = createLocalRuntime({ ...options, registryDir });
  runtimes.push(runtime);
  const dir = join(root, name);
  await writeLab(await ep02Both(), dir);
  return { runtime, instance: await runtime.up(dir) };
}

async function verify(runtime: LocalRuntime, instance: LabInstance): Promise<Report> {
  const prober = await runtime.prober(instance);
  try {
    return await verifyLab(instance, prober, { seed: 2, proxy: 'both', oracles: specOracles(instance.spec) });
  } finally {
    await prober.close();
  }
}

function keepalive(report: Report, proxy: 'haproxy' | 'ts'): Check {
  const check = report.reports!.find((r) => r.proxy === proxy)!.checks.find((c) => c.name === 'tcp.keepalive-sticks');
  expect(check, `${proxy}: no tcp.keepalive-sticks`).toBeDefined();
  expect(check!.skipped, `${proxy}: ${check!.skipped}`).toBeUndefined();
  return check!;
}

/** Rewrites each proxy's running config (`mode tcp` → `mode http` in defaults) and restarts it. */
/**
 * The lab's own haproxy.cfg files (both proxies') switched to `mode http`, and the lab
 * brought up again: the local runtime runs the files as they stand.
 */
async function upInModeHttp(runtime: LocalRuntime, instance: LabInstance): Promise<LabInstance> {
  for (const service of ['haproxy', 'tsproxy']) {
    const cfg = join(instance.dir, service, 'haproxy.cfg');
    const text = await readFile(cfg, 'utf8');
    expect(text.match(/^\s+mode\s+tcp$/gm)).toHaveLength(1);
    await writeFile(cfg, text.replace(/^(\s+)mode\s+tcp$/m, '$1mode    http'));
  }
  await runtime.down(instance.dir);
  return runtime.up(instance.dir);
}

const flavors: { name: string; options: LocalRuntimeOptions; tools: Tool[]; apps: RegExp }[] = [
  { name: 'Flask under waitress, HAProxy and the TypeScript proxy', options: {}, tools: [HAPROXY, FLASK, WAITRESS, DIST], apps: /apps: Flask under waitress/ },
  { name: 'Node replicas, the TypeScript proxy in both roles', options: { preferReplicas: true, preferTsProxy: true }, tools: [DIST], apps: /Node replicas/ },
];

describe.each(flavors)('ep02 on the local runtime: $name', (flavor) => {
  itWithTool(flavor.tools, 'keepalive-sticks passes on both proxies; switched to mode http, both fail it', async () => {
    const { runtime, instance } = await up(flavor.options.preferReplicas ? 'replicas' : 'flask', flavor.options);
    try {
      expect(instance.notes.join('\n')).toMatch(flavor.apps);
      const report = await verify(runtime, instance);
      for (const proxy of ['haproxy', 'ts'] as const) {
        const check = keepalive(report, proxy);
        expect(check.pass, `${proxy}: ${check.observed}; ${check.detail}`).toBe(true);
        expect(check.detail).toMatch(/once per connection/);
      }
      expect(report.verdict).toBe('pass');

      const httpInstance = await upInModeHttp(runtime, instance);
      const mutated = await verify(runtime, httpInstance);
      for (const proxy of ['haproxy', 'ts'] as const) {
        const check = keepalive(mutated, proxy);
        expect(check.pass, `${proxy}: ${check.observed}; ${check.detail}`).toBe(false);
        expect(check.detail).toMatch(/balanced each request/);
        const forwarded = mutated.reports!.find((r) => r.proxy === proxy)!.checks.find((c) => c.name === 'tcp.forwarded')!;
        expect(forwarded.pass, 'requests still reach the apps: what fails is the balancing').toBe(true);
      }
      expect(mutated.verdict).toBe('fail');
    } finally {
      await runtime.down(instance.dir);
    }
  }, 120_000);
});

describe('ep02 where waitress does not import', () => {
  itWithTool([FLASK, WAITRESS, DIST], "the apps fall back to Flask's development server, the notes say so, and keepalive-sticks fails with the reason", async () => {
    // A module named waitress that refuses to import, first on the path of every Python started from here.
    const hidden = join(root, 'python-path');
    mkdirSync(hidden, { recursive: true });
    writeFileSync(join(hidden, 'waitress.py'), 'raise ImportError("No module named \'waitress\' (hidden by the test)")\n');
    const before = process.env.PYTHONPATH;
    process.env.PYTHONPATH = hidden;
    try {
      const { runtime, instance } = await up('no-waitress', { preferTsProxy: true });
      try {
        expect(instance.notes.join('\n')).toMatch(/apps: Flask's development server .*hidden by the test.*install python3-waitress/);
        const report = await verify(runtime, instance);
        for (const proxy of ['haproxy', 'ts'] as const) {
          const check = keepalive(report, proxy);
          expect(check.pass).toBe(false);
          expect(check.detail).toMatch(/no connection carried two requests.*waitress/);
        }
      } finally {
        await runtime.down(instance.dir);
      }
    } finally {
      if (before === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = before;
    }
  }, 120_000);
});
