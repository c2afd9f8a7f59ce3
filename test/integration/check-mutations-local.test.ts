/**
 * The fast mutation matrix: the docker suite's edits (test/helpers/cfg-mutations.ts) made to
 * a `--proxy both` lab's two haproxy.cfg files (lab.yaml untouched), then `haplab check DIR
 * --runtime local`: the real HAProxy and haplab's TypeScript proxy each run the edited file,
 * on the same traffic. Each must fail the checks the edit breaks, pass the ones it leaves
 * alone, and its report must name the drift from lab.yaml. No Docker engine needed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findByEnviron } from '../../src/runtime/local/procfs.js';
import { ENV_DIR } from '../../src/runtime/local/run-record.js';
import { haplab, newLabInProcess, readReport, tail } from '../e2e/check-helpers.js';
import { MUTATIONS, WEIGHTS_MUTATION, expectCaught, mutateCfg } from '../helpers/cfg-mutations.js';
import { DIST, FLASK, HAPROXY, describeWithTool } from '../helpers/require-tool.js';

const SEED = '7';
const RUN_TIMEOUT_MS = 180_000;
/** Host ports: off the catalogue's and the docker suites' (21 000, 22 000); below 32768 with the TS proxy's +100. */
const LOCAL_MUTATION_PORT_SHIFT = 23_000;

describeWithTool([HAPROXY, FLASK, DIST], 'the local runtime fails labs whose haproxy.cfg was changed behind the spec (HAProxy and the TypeScript proxy)', () => {
  let root: string;
  const savedState = process.env.XDG_STATE_HOME;
  /** lab × mutation × proxy → exit code and the checks that failed, printed at the end. */
  const matrix: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'haplab-check-mutations-local-'));
    // The CLI's local registry: this file's own, so no other lab is listed or taken down.
    process.env.XDG_STATE_HOME = join(root, 'state');
  });

  afterAll(async () => {
    if (matrix.length) console.log(`mutation matrix (local runtime):\n${matrix.join('\n')}`);
    if (savedState === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = savedState;
    if (root) await rm(root, { recursive: true, force: true });
  });

  for (const m of [...MUTATIONS, WEIGHTS_MUTATION].filter((x) => !x.dockerOnly)) {
    it(`${m.episode} with ${m.what}: exit 1 on HAProxy and on the TypeScript proxy, naming ${m.failing.join(', ')} and the drift`, async () => {
      const dir = join(root, m.lab);
      await newLabInProcess(m.episode, dir, 'both', LOCAL_MUTATION_PORT_SHIFT);
      const spec = await readFile(join(dir, 'lab.yaml'), 'utf8');
      for (const service of ['haproxy', 'tsproxy']) await mutateCfg(join(dir, service, 'haproxy.cfg'), m.mutate);

      const json = join(root, `${m.lab}.json`);
      const result = await haplab(['check', dir, '--runtime', 'local', '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
      const report = existsSync(json) ? await readReport(json) : undefined;
      for (const r of report?.reports ?? []) {
        const failed = r.checks.filter((c) => !c.pass && !c.skipped).map((c) => c.name);
        matrix.push(`  ${m.lab} × ${m.what} × ${r.proxy} → exit ${result.code}; failed: ${failed.join(', ') || 'none'}`);
      }
      expect(result.code, tail(result)).toBe(1);
      expect(report, 'the --json report was not written').toBeDefined();
      expect(report).toMatchObject({ episode: m.episode, lab: m.lab, proxy: 'both', runtime: 'local', seed: SEED, verdict: 'fail' });
      // The real HAProxy played its part (not the TypeScript proxy standing in for it).
      expect(report!.notes).toContainEqual(expect.stringMatching(/^proxy: HAProxy \(/));
      expect(report!.reports!.map((r) => r.proxy)).toEqual(['haproxy', 'ts']);
      for (const r of report!.reports!) expectCaught(r, result.stdout, m, 'local');
      const driftNotes = report!.notes.filter((n) => n.includes('differs from lab.yaml'));
      expect(driftNotes).toEqual([
        expect.stringContaining(`HAProxy's haproxy.cfg (.haplab/local/haproxy.cfg) differs from lab.yaml (the checks judge lab.yaml): ${m.drift.join('; ')}`),
        expect.stringContaining(`the TypeScript proxy's haproxy.cfg (.haplab/local/tsproxy.cfg) differs from lab.yaml (the checks judge lab.yaml): ${m.drift.join('; ')}`),
      ]);
      expect(result.stdout).toMatch(/· FAIL$/m);
      expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).toBe(spec);
      expect(findByEnviron((env) => env.get(ENV_DIR) === dir)).toEqual([]);
    }, RUN_TIMEOUT_MS + 60_000);
  }
});
