/**
 * `haplab check` on a real Docker engine for every episode of the catalogue, as a user runs
 * it: the CLI (dist/), `--proxy both` (HAProxy and haplab's TypeScript proxy judged on the
 * same traffic, one lab per episode so each builds once), `--runtime docker`, offline
 * images, a fixed `--seed`, `--json`. Each must exit 0 with verdict pass, every check passed
 * or skipped for a stated reason that this file allows for that episode on docker (ep04's
 * 192.168.x source-address rules must RUN here, not skip), counts for the balancing episodes,
 * and nothing labelled io.haplab.lab left behind. The local runtime's catalogue run lives
 * elsewhere. Timings per episode are printed at the end.
 */
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stateFilePath } from '../../src/runtime/state.js';
import { catalogueIds, loadEpisode } from '../../src/lab-schema/catalogue.js';
import { loadSpecFile } from '../../src/lab-schema/load.js';
import { normalizeSpec } from '../../src/lab-schema/normalize.js';
import { primaryBackend, STATS_PORT_OFFSET, type LabSpec } from '../../src/lab-schema/types.js';
import type { Report } from '../../src/verify/report/types.js';
import { requireHere } from '../helpers/require-tool.js';
import { allChecks, CATALOGUE_PORT_SHIFT, describeCheck, haplab, labelledLeft, newLabViaCli, readReport, tail } from './check-helpers.js';
import { describeDocker, engine, ensureBuilt } from './docker-helpers.js';

const SEED = '20261124';
const EPISODES = ['ep02', 'ep03', 'ep04', 'ep05', 'ep06', 'ep07', 'ep08', 'ep09', 'ep10', 'ep11', 'ep12', 'ep13'];
/** The episodes whose check is about a balancing algorithm: their report carries per-server counts. */
const BALANCING = new Set(['ep02', 'ep05', 'ep06', 'ep07', 'ep08', 'ep09', 'ep10', 'ep11', 'ep13']);
/**
 * The only checks that may be skipped on docker, per episode, and the reason they must give.
 * Anything else skipped fails this test: on docker every check can run honestly.
 */
const MAY_SKIP: Record<string, Record<string, RegExp>> = {
  // A server is stopped on purpose (consistent-hash failover): lbtot also counts its retries.
  ep07: { 'stats.lbtot': /server was stopped during the run/ },
  // The redispatch check stops the cookie client's server; that also moves fwrr's hidden state,
  // so no weight is changed after it.
  ep10: { 'stats.lbtot': /server was stopped during the run/, 'rr.runtime-weight': /another check of this run stopped a server/ },
  // The health checks fail servers: the same for the weight change.
  ep11: { 'rr.runtime-weight': /another check of this run stopped a server or failed its health checks/ },
};
const CHECK_TIMEOUT_MS = 540_000;

/** The catalogue's own host ports for ep09 with both proxies: HAProxy's, the TS proxy's (+100), stats (+9). */
async function cataloguePortsFree(spec: LabSpec): Promise<boolean> {
  const ports = spec.frontends.flatMap((f) => [f.hostPort, f.hostPort + 100]);
  ports.push(spec.frontends[0]!.hostPort + STATS_PORT_OFFSET, spec.frontends[0]!.hostPort + 100 + STATS_PORT_OFFSET);
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

describeDocker('haplab check, the whole catalogue, --proxy both on docker (CLI)', () => {
  let docker: Docker;
  let root: string;
  const labs: string[] = [];
  const timings: { what: string; seconds: number; verdict: string }[] = [];

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    root = await mkdtemp(join(tmpdir(), 'haplab-check-catalogue-'));
  }, 300_000);

  afterAll(async () => {
    // A failed run may have left a lab up: down by directory (label-based), then the temp dirs.
    for (const lab of labs) await haplab(['down', join(root, lab), '--images']).catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true });
    if (timings.length) {
      const total = timings.reduce((s, t) => s + t.seconds, 0);
      const lines = timings.map((t) => `  ${t.what.padEnd(46)} ${t.seconds.toFixed(1).padStart(6)} s  ${t.verdict}`);
      console.log(`\nhaplab check on docker, --proxy both, seed ${SEED}:\n${lines.join('\n')}\n  ${'total'.padEnd(46)} ${total.toFixed(1).padStart(6)} s\n`);
      if (total > 360) console.warn(`!!! the catalogue took ${total.toFixed(0)} s on docker, over the 6-minute CI budget`);
    }
  }, 300_000);

  it('the catalogue is ep02…ep13', async () => {
    expect(await catalogueIds()).toEqual(EPISODES);
  });

  for (const episode of EPISODES) {
    it(`${episode}: haplab check DIR --runtime docker --proxy both passes every check`, async () => {
      const lab = `hlcat-${episode}`;
      labs.push(lab);
      const dir = join(root, lab);
      await newLabViaCli(episode, dir, 'both', CATALOGUE_PORT_SHIFT);
      const spec = normalizeSpec(await loadSpecFile(join(dir, 'lab.yaml')));
      const json = join(root, `${lab}.json`);

      const started = performance.now();
      const result = await haplab(['check', dir, '--runtime', 'docker', '--proxy', 'both', '--seed', SEED, '--json', json], CHECK_TIMEOUT_MS);
      const seconds = (performance.now() - started) / 1000;
      const report: Report | undefined = existsSync(json) ? await readReport(json) : undefined;
      timings.push({ what: `${episode} (${spec.title})`, seconds, verdict: report?.verdict ?? `exit ${result.code}, no report` });

      expect(result.code, tail(result)).toBe(0);
      expect(result.stdout).toContain('docker runtime');
      expect(result.stdout).toMatch(/overall PASS/);
      expect(result.stdout).toContain(`down: lab ${lab} removed`);
      expect(report, 'the --json report was not written').toBeDefined();
      const r = report!;
      expect({ episode: r.episode, lab: r.lab, proxy: r.proxy, runtime: r.runtime, seed: r.seed, verdict: r.verdict })
        .toEqual({ episode, lab, proxy: 'both', runtime: 'docker', seed: SEED, verdict: 'pass' });
      expect(r.reports?.map((x) => [x.proxy, x.runtime, x.verdict])).toEqual([['haproxy', 'docker', 'pass'], ['ts', 'docker', 'pass']]);

      // Every check passed, or was skipped for a reason this episode may give on docker.
      const checks = allChecks(r);
      expect(checks.length).toBeGreaterThan(0);
      const allowed = MAY_SKIP[episode] ?? {};
      const wrong = checks.filter(({ check }) => {
        if (check.skipped === undefined) return !check.pass;
        const reason = allowed[check.name];
        return !reason || !reason.test(check.skipped) || check.pass;
      });
      expect(wrong.map(describeCheck), 'failed, or skipped where docker can run them').toEqual([]);
      for (const sub of r.reports!) {
        expect(sub.checks.filter((c) => !c.skipped).length, `${sub.proxy}: no check ran`).toBeGreaterThan(0);
        expect(sub.requests).toBeGreaterThan(0);
      }

      if (BALANCING.has(episode)) {
        const servers = primaryBackend(spec).servers.filter((s) => !s.disabled && !s.backup && s.weight > 0).map((s) => s.name);
        for (const sub of r.reports!) {
          for (const name of servers) expect(sub.counts[name], `${sub.proxy}: count of ${name}`).toBeGreaterThan(0);
        }
        // The top level's counts are the sum over the proxies (report/types.ts).
        for (const name of servers) expect(r.counts[name]).toBe(r.reports!.reduce((s, x) => s + (x.counts[name] ?? 0), 0));
      }

      if (episode === 'ep04') {
        // Docker gives the probe 192.168.1.x and 192.168.10.x: the deny and the /admin rule run for real.
        for (const sub of r.reports!) {
          const names = sub.checks.map((c) => c.name);
          expect(names.filter((n) => /from (inside|just outside|outside) /.test(n)), `${sub.proxy}: source-address probes skipped`).toEqual([]);
          // Every rule line, the src ones included, is exercised both ways on docker.
          for (const f of spec.frontends) expect(sub.checks.find((c) => c.name === `acl.coverage ${f.name}`), `${sub.proxy}: acl.coverage ${f.name}`).toMatchObject({ pass: true });
          const deny = sub.checks.find((c) => c.name === 'acl.block_front → 403 (deny)');
          expect(deny, `${sub.proxy}: no probe from 192.168.1.0/24 was denied`).toMatchObject({ pass: true });
          expect(sub.checks.find((c) => c.name === 'acl.admin_front → admin_backend')).toMatchObject({ pass: true });
        }
      }

      expect(await labelledLeft(docker, [lab])).toEqual([]);
    }, CHECK_TIMEOUT_MS + 60_000);
  }

  it('haplab check ep09 (an episode id, on the catalogue ports): passes, removes its scratch lab and that lab\'s images', async (context) => {
    const spec = await loadEpisode('ep09');
    const portsFree = await cataloguePortsFree(spec);
    requireHere(context, 'haplab check ep09 on the catalogue ports', portsFree ? undefined : `ep09's catalogue ports (${spec.frontends[0]!.hostPort} …) are taken on this machine`);
    const json = join(root, 'ep09-episode.json');
    const started = performance.now();
    const result = await haplab(['check', 'ep09', '--runtime', 'docker', '--images', 'offline', '--proxy', 'both', '--seed', SEED, '--json', json], CHECK_TIMEOUT_MS);
    timings.push({ what: 'ep09 as an episode id', seconds: (performance.now() - started) / 1000, verdict: `exit ${result.code}` });
    expect(result.code, tail(result)).toBe(0);
    const lab = /up: lab (\S+) on docker/.exec(result.stdout)?.[1];
    expect(lab, tail(result)).toMatch(/^ep09-check-\d+$/);
    const report = await readReport(json);
    expect(report).toMatchObject({ episode: 'ep09', lab, proxy: 'both', runtime: 'docker', verdict: 'pass' });
    expect(allChecks(report).filter(({ check }) => !check.pass).map(describeCheck)).toEqual([]);
    expect(await labelledLeft(docker, [lab!])).toEqual([]);
    // The scratch lab's name is used once: its images would only pile up.
    const images = await docker.listImages({ filters: { label: [`io.haplab.lab=${lab}`] } });
    expect(images.map((i) => i.RepoTags?.join(','))).toEqual([]);
  }, CHECK_TIMEOUT_MS + 60_000);

  it('leaves nothing labelled io.haplab.lab of these labs: no container, network or volume', async () => {
    expect(labs.length).toBeGreaterThan(0);
    expect(await labelledLeft(docker, labs)).toEqual([]);
    // And the lab directories carry no runtime state any more.
    for (const lab of labs) {
      const state = stateFilePath(join(root, lab));
      expect(existsSync(state) ? await readFile(state, 'utf8') : undefined, `${lab}: state left`).toBeUndefined();
    }
  });
});
