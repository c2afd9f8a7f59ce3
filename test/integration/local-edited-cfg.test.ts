/**
 * Edited configs run as edited, on the local runtime: a lab made with `haplab new`, its
 * haproxy.cfg changed by hand (lab.yaml untouched), then `haplab check DIR --runtime local`.
 * The proxy runs the file as it stands (the counts prove it), the verifier judges lab.yaml
 * (exit 1), and the report names the drift. An unedited lab still passes with no drift; a
 * typo or a server aimed at no app is bad input (exit 2) at the file's line, and nothing starts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findByEnviron } from '../../src/runtime/local/procfs.js';
import { ENV_DIR } from '../../src/runtime/local/run-record.js';
import { haplab, newLabInProcess, readReport, tail } from '../e2e/check-helpers.js';
import { replaceOnce } from '../helpers/cfg-mutations.js';
import { DIST, FLASK, HAPROXY, describeWithTool } from '../helpers/require-tool.js';

const SEED = '7';
const RUN_TIMEOUT_MS = 120_000;
/** Host ports of these labs: off the catalogue's, the docker suites' (21 000, 22 000) and the local matrix's (23 000). */
const PORT_SHIFT = 24_000;

describeWithTool([HAPROXY, FLASK, DIST], 'the local runtime runs an edited haproxy.cfg as it stands (HAProxy, Flask)', () => {
  let root: string;
  const savedState = process.env.XDG_STATE_HOME;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'haplab-local-edited-'));
    // The CLI's local registry: this file's own, so no other lab is listed or taken down.
    process.env.XDG_STATE_HOME = join(root, 'state');
  });

  afterAll(async () => {
    if (savedState === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = savedState;
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function lab(name: string): Promise<{ dir: string; cfgFile: string; spec: string }> {
    const dir = join(root, name);
    await newLabInProcess('ep09', dir, 'haproxy', PORT_SHIFT);
    return { dir, cfgFile: join(dir, 'haproxy', 'haproxy.cfg'), spec: await readFile(join(dir, 'lab.yaml'), 'utf8') };
  }

  const processesOf = (dir: string) => findByEnviron((env) => env.get(ENV_DIR) === dir);

  it('unedited: exit 0 and no drift', async () => {
    const { dir } = await lab('ep09-as-rendered');
    const json = join(root, 'as-rendered.json');
    const result = await haplab(['check', dir, '--runtime', 'local', '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
    expect(result.code, tail(result)).toBe(0);
    const report = await readReport(json);
    expect(report).toMatchObject({ proxy: 'haproxy', runtime: 'local', verdict: 'pass' });
    expect(report.configDrift).toEqual({ file: join(dir, '.haplab', 'local', 'haproxy.cfg'), differences: [] });
    expect(report.notes.join('\n')).not.toMatch(/differs from lab\.yaml/);
    expect(report.notes).toContain('haproxy: runs haproxy/haproxy.cfg as it stands, moved to loopback (3 server and 2 bind addresses): .haplab/local/haproxy.cfg');
    expect(processesOf(dir)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('static-rr for roundrobin, server3 deleted, server1 weight 2 → 5: HAProxy runs it (5:1), check exits 1 and names the drift', async () => {
    const { dir, cfgFile, spec } = await lab('ep09-edited');
    let cfg = await readFile(cfgFile, 'utf8');
    cfg = replaceOnce(cfg, /^(\s*)balance roundrobin$/m, '$1balance static-rr');
    cfg = replaceOnce(cfg, /^\s*server server3 .*\n/m, '');
    cfg = replaceOnce(cfg, /^(\s*server server1 \S+) weight 2 /m, '$1 weight 5 ');
    await writeFile(cfgFile, cfg);

    const json = join(root, 'edited.json');
    const result = await haplab(['check', dir, '--runtime', 'local', '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
    expect(result.code, tail(result)).toBe(1);
    const report = await readReport(json);
    expect(report).toMatchObject({ proxy: 'haproxy', runtime: 'local', verdict: 'fail' });
    const verdicts = Object.fromEntries(report.checks.map((c) => [c.name, c.skipped ? 'skip' : c.pass ? 'pass' : 'fail']));
    expect(verdicts).toMatchObject({ 'rr.answered': 'pass', 'rr.cycle-counts': 'fail', 'rr.order': 'fail', 'stats.lbtot': 'pass' });
    // What ran is the edited file: static-rr over weights 5 and 1, server3 gone.
    // The rotation's counts (the run's later phases send more, and say so in requests).
    const n = Object.values(report.counts).reduce((a, b) => a + b, 0);
    expect(n % 6).toBe(0);
    expect(report.requests).toBeGreaterThanOrEqual(n);
    expect(report.counts).toEqual({ server1: (n / 6) * 5, server2: n / 6, server3: 0 });
    const drift = 'backend servers: balance static-rr (lab.yaml: roundrobin), server3 removed, server1 weight 5 (lab.yaml: 2)';
    expect(report.configDrift?.differences).toEqual([drift]);
    expect(result.stdout).toContain(`  - HAProxy's haproxy.cfg (.haplab/local/haproxy.cfg) differs from lab.yaml (the checks judge lab.yaml): ${drift}\n`);
    // The running copy is readable in the lab, and it is the edited file moved to loopback.
    const running = await readFile(join(dir, '.haplab', 'local', 'haproxy.cfg'), 'utf8');
    expect(running).toMatch(/^ {4}balance static-rr\n {4}server server1 127\.0\.0\.1:\d+ weight 5 check\n {4}server server2 127\.0\.0\.1:\d+ check\n\n/m);
    expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).toBe(spec);
    expect(processesOf(dir)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('a typo in a keyword: exit 2 at file:line:column with the fix, and nothing is started or judged', async () => {
    const { dir, cfgFile } = await lab('ep09-typo');
    const cfg = replaceOnce(await readFile(cfgFile, 'utf8'), /^(\s*)balance roundrobin$/m, '$1balanse roundrobin');
    await writeFile(cfgFile, cfg);
    const line = cfg.split('\n').findIndex((l) => l.includes('balanse')) + 1;
    const result = await haplab(['check', dir, '--runtime', 'local', '--seed', SEED], RUN_TIMEOUT_MS);
    expect(result.code, tail(result)).toBe(2);
    expect(result.stderr).toContain(`haplab: ${cfgFile}:${line}:5: unknown keyword 'balanse' in 'backend' section — did you mean 'balance'?\n`);
    // No verdict word (listr's "[FAILED: …]" step line is progress, not a verdict).
    expect(result.stdout).not.toMatch(/\b(PASS|FAIL)\b/);
    expect(existsSync(join(dir, '.haplab', 'local', 'haproxy.cfg'))).toBe(false);
    expect(processesOf(dir)).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('a server aimed at an app lab.yaml does not have: exit 2, one line naming it', async () => {
    const { dir, cfgFile } = await lab('ep09-no-such-app');
    const cfg = replaceOnce(await readFile(cfgFile, 'utf8'), /server server2 app2:/, 'server server2 app9:');
    await writeFile(cfgFile, cfg);
    const line = cfg.split('\n').findIndex((l) => l.includes('app9')) + 1;
    const result = await haplab(['check', dir, '--runtime', 'local', '--seed', SEED], RUN_TIMEOUT_MS);
    expect(result.code, tail(result)).toBe(2);
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('haplab: '));
    expect(errors).toEqual([expect.stringContaining(`haplab: ${cfgFile}:${line}:20: server server2 points at 'app9:5002', but lab.yaml has no app 'app9'`)]);
    expect(processesOf(dir)).toEqual([]);
  }, RUN_TIMEOUT_MS);
});
