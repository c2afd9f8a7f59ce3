/**
 * The verifier can fail. Labs are made as `new` makes them, then their rendered haproxy.cfg is
 * changed BEHIND THE SPEC'S BACK (lab.yaml untouched) before `up`: HAProxy runs the edited
 * file, the verifier judges by the spec (its oracles render their own config from lab.yaml),
 * so `haplab check DIR` / `haplab verify DIR` must exit 1, and the JSON and terminal reports
 * must name the check that caught it and the drift from lab.yaml — while the checks the edit
 * does not touch still pass, so the failure is the algorithm's, not a broken lab's. This is
 * the docker half; the same edits run on the local runtime, with HAProxy and the TypeScript
 * proxy, in test/integration/check-mutations-local.test.ts (the list: test/helpers/cfg-mutations.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MUTATIONS, WEIGHTS_MUTATION, expectCaught, mutateCfg } from '../helpers/cfg-mutations.js';
import { haplab, labelledLeft, MUTATION_PORT_SHIFT, newLabInProcess, readReport, tail } from './check-helpers.js';
import { describeDocker, engine, ensureBuilt } from './docker-helpers.js';

const SEED = '7';
const RUN_TIMEOUT_MS = 300_000;

describeDocker('the verifier fails labs whose haproxy.cfg was changed behind the spec (HAProxy, docker)', () => {
  let docker: Docker;
  let root: string;
  const labs: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    root = await mkdtemp(join(tmpdir(), 'haplab-check-mutations-'));
  }, 300_000);

  afterAll(async () => {
    for (const lab of labs) await haplab(['down', join(root, lab), '--images']).catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true });
  }, 300_000);

  /** A HAProxy lab through the CLI; returns its dir and lab.yaml as written. */
  async function makeLab(lab: string, episode: string): Promise<{ dir: string; spec: string; cfgFile: string }> {
    labs.push(lab);
    const dir = join(root, lab);
    await newLabInProcess(episode, dir, 'haproxy', MUTATION_PORT_SHIFT);
    return { dir, spec: await readFile(join(dir, 'lab.yaml'), 'utf8'), cfgFile: join(dir, 'haproxy', 'haproxy.cfg') };
  }

  it('ep09 with weights 2,1,3 → 3,1,2 in haproxy.cfg: passes before the edit; after it, `haplab verify` fails rr.cycle-counts and rr.order', async () => {
    const { dir, spec, cfgFile } = await makeLab('hlmut-ep09-weights', 'ep09');
    // Control: the lab as rendered passes, so what fails below is the edit.
    const control = await haplab(['check', dir, '--runtime', 'docker', '--seed', SEED], RUN_TIMEOUT_MS);
    expect(control.code, tail(control)).toBe(0);

    await mutateCfg(cfgFile, WEIGHTS_MUTATION.mutate);
    const up = await haplab(['up', dir, '--runtime', 'docker'], RUN_TIMEOUT_MS);
    expect(up.code, tail(up)).toBe(0);
    try {
      const json = join(root, 'hlmut-ep09-weights.json');
      const verify = await haplab(['verify', dir, '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
      expect(verify.code, tail(verify)).toBe(1);
      const report = await readReport(json);
      expect(report).toMatchObject({ episode: 'ep09', proxy: 'haproxy', runtime: 'docker', seed: SEED });
      expectCaught(report, verify.stdout, WEIGHTS_MUTATION, 'docker');
      expect(verify.stdout).toMatch(/· FAIL$/m);
    } finally {
      const down = await haplab(['down', dir, '--images']);
      expect(down.code, tail(down)).toBe(0);
    }
    expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).toBe(spec);
    expect(await labelledLeft(docker, ['hlmut-ep09-weights'])).toEqual([]);
  }, 2 * RUN_TIMEOUT_MS);

  // Only the edits whose evidence depends on the runtime run here (see Mutation.localOnly); the rest run in the local matrix.
  for (const m of MUTATIONS.filter((x) => !x.localOnly)) {
    it(`${m.episode} with ${m.what}: haplab check DIR exits 1 and names ${m.failing.join(', ')}`, async () => {
      const { dir, spec, cfgFile } = await makeLab(m.lab, m.episode);
      await mutateCfg(cfgFile, m.mutate);
      const json = join(root, `${m.lab}.json`);
      const result = await haplab(['check', dir, '--runtime', 'docker', '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
      expect(result.code, tail(result)).toBe(1);
      expect(existsSync(json), 'the --json report was not written').toBe(true);
      const report = await readReport(json);
      expect(report).toMatchObject({ episode: m.episode, lab: m.lab, proxy: 'haproxy', runtime: 'docker', seed: SEED });
      expectCaught(report, result.stdout, m, 'docker');
      expect(result.stdout).toMatch(/· FAIL$/m);
      expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).toBe(spec);
      expect(await labelledLeft(docker, [m.lab])).toEqual([]);
    }, RUN_TIMEOUT_MS + 60_000);
  }

  it('leaves nothing labelled io.haplab.lab of these labs: no container, network or volume', async () => {
    expect(labs.length).toBeGreaterThan(0);
    expect(await labelledLeft(docker, labs)).toEqual([]);
  });
});
