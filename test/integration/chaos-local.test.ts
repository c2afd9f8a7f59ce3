/**
 * --chaos stop on the local runtime, HAProxy and haplab's TypeScript proxy side by side
 * (ep05, Flask apps): the generated haproxy.cfg plus `retries 3` and `option redispatch`
 * in the backend (written into the lab's own files, which the local runtime runs as they
 * stand), so the config promises that no idempotent request is lost while one app
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
import type { LabInstance } from '../../src/runtime/types.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { customizeSpec } from '../../src/lab-schema/customize.js';
import type { Report } from '../../src/verify/report/types.js';
import { verifyLab } from '../../src/verify/run.js';
import { labOnTestPorts } from '../helpers/ports.js';
import { describeWithTool, DIST, FLASK, HAPROXY } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-chaos-'));
const registryDir = join(root, 'registry');

/** Both proxies' haproxy.cfg in the lab get retries + redispatch, before `up`. */
async function addRedispatch(dir: string): Promise<void> {
  for (const service of ['haproxy', 'tsproxy']) {
    const cfg = join(dir, service, 'haproxy.cfg');
    const text = await readFile(cfg, 'utf8');
    expect(text).toContain('    balance roundrobin\n');
    await writeFile(cfg, text.replace('    balance roundrobin\n', '    balance roundrobin\n    retries 3\n    option redispatch\n'));
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
    await addRedispatch(dir);
    instance = await runtime.up(dir);
    const prober = await runtime.prober(instance);
    try {
      report = await verifyLab(instance, prober, {
        seed: 5,
        chaos: 'stop',
        chaosFaults: { disrupt: (app, how) => runtime.disrupt(instance, app, how), resume: (app, how) => runtime.resume(instance, app, how), stoppedApp: runtime.stoppedApp },
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
