/**
 * --chaos stop on the local runtime, HAProxy and haplab's TypeScript proxy side by side
 * (ep05, Flask apps): the generated haproxy.cfg plus `retries 3` and `option redispatch`
 * in the backend, so the config promises that no idempotent request is lost while one app
 * is stopped, the server leaves rotation within fall × inter and comes back within
 * rise × inter. Measured through verifyLab, as `haplab verify --chaos stop` does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeLab } from '../../src/render/lab.js';
import { createLocalRuntime, type LocalRuntime } from '../../src/runtime/local/index.js';
import { spawnRecorded, stopProcesses } from '../../src/runtime/local/lifecycle.js';
import { waitReady } from '../../src/runtime/local/readiness.js';
import { runsOfDir } from '../../src/runtime/local/run-record.js';
import type { LabInstance } from '../../src/runtime/types.js';
import { loadEpisode } from '../../src/spec/catalogue.js';
import { customizeSpec } from '../../src/spec/customize.js';
import { runningConfigPath } from '../../src/verify/models/failover-judge.js';
import type { Report } from '../../src/verify/report/types.js';
import { verifyLab } from '../../src/verify/run.js';
import { labOnTestPorts } from '../helpers/ports.js';
import { describeWithTool, DIST, FLASK, HAPROXY } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-chaos-'));
const registryDir = join(root, 'registry');

/** The proxies' config gets retries + redispatch; each proxy is restarted to read it. */
async function addRedispatch(runtime: LocalRuntime, instance: LabInstance): Promise<void> {
  const run = (await runsOfDir(registryDir, instance.dir)).find((r) => r.phase === 'running')!;
  for (const proc of run.processes.filter((p) => p.role === 'proxy')) {
    const cfg = runningConfigPath(instance, proc.name as 'haproxy' | 'ts');
    const text = await readFile(cfg, 'utf8');
    expect(text).toContain('    balance roundrobin\n');
    await writeFile(cfg, text.replace('    balance roundrobin\n', '    balance roundrobin\n    retries 3\n    option redispatch\n'));
    await stopProcesses(run, runtime.options.stopGraceMs, proc);
    await spawnRecorded(run, proc);
    // The bound only ends a failure: readiness returns as soon as the proxy answers.
    await waitReady(proc, Date.now() + 60_000);
  }
}

describeWithTool([HAPROXY, FLASK, DIST], '--chaos stop, local runtime, HAProxy and the TypeScript proxy', () => {
  let runtime: LocalRuntime;
  let instance: LabInstance;
  let report: Report;

  beforeAll(async () => {
    runtime = createLocalRuntime({ registryDir });
    // On ports reserved for this process, away from the catalogue's (see local-runtime.test.ts).
    const spec = await labOnTestPorts(customizeSpec(await loadEpisode('ep05'), { proxy: 'both' }));
    const dir = join(root, 'chaos-ep05');
    await writeLab(spec, dir);
    instance = await runtime.up(dir);
    await addRedispatch(runtime, instance);
    const prober = await runtime.prober(instance);
    try {
      report = await verifyLab(instance, prober, {
        seed: 5,
        chaos: 'stop',
        chaosFaults: { disrupt: (app, how) => runtime.disrupt(instance, app, how), resume: (app, how) => runtime.resume(instance, app, how) },
      });
    } finally {
      await prober.close();
    }
  }, 120_000);

  afterAll(async () => {
    await runtime?.downAll();
    rmSync(root, { recursive: true, force: true });
  });

  it.each(['haproxy', 'ts'] as const)('%s: out of rotation within fall × inter, back within rise × inter, nothing lost', (proxy) => {
    const r = report.reports!.find((x) => x.proxy === proxy)!;
    const failover = r.checks.filter((c) => c.name.startsWith('failover.'));
    for (const c of failover) console.log(`${proxy} ${c.name}: expected ${c.expected}; observed ${c.observed}; ${c.detail}`);
    expect(failover.map((c) => [c.name, c.pass])).toEqual([
      ['failover.stop.out-of-rotation', true], ['failover.stop.back-in-rotation', true], ['failover.stop.no-loss', true],
    ]);
    expect(failover[2]!.expected).toMatch(/^no request lost \(retries 3 \+ option redispatch/);
    expect(report.notes.join('\n')).toMatch(new RegExp(`${proxy}: .*\\.cfg: inter 2 s rise 2 fall 3, TCP check.*retries 3, option redispatch`));
    expect(r.verdict).toBe('pass');
  });
});
