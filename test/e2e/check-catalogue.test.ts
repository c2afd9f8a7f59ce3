/**
 * `haplab check --all` on a real Docker engine, as an instructor runs it before a class: the
 * CLI (dist/), every episode of the catalogue on the catalogue's own ports, `--proxy both`
 * (HAProxy and haplab's TypeScript proxy judged on the same traffic, one lab per episode so
 * each builds once), `--runtime docker`, offline images, a fixed `--seed`, two labs at once
 * (`-j 2`; the labs that time servers under load run alone), one `--json` for all. Each
 * episode must pass, every check passed or skipped for a stated reason that this file allows
 * for that episode on docker (ep04's 192.168.x source-address rules must RUN here, not
 * skip), with counts for the balancing episodes; and nothing labelled io.haplab.lab, nor any
 * of the scratch labs' images, may be left behind. Timings per episode are printed at the
 * end. The local runtime's `check --all` lives in test/integration/check-all-local.test.ts.
 */
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { episodeSpec, labResources, needsMachineAlone } from '../../src/cli/check-all/run-lab.js';
import { catalogueIds, loadEpisode } from '../../src/lab-schema/catalogue.js';
import { primaryBackend, STATS_PORT_OFFSET, type LabSpec } from '../../src/lab-schema/types.js';
import type { Report } from '../../src/verify/report/types.js';
import type { SuiteReport } from '../../src/verify/report/suite.js';
import { requireHere } from '../helpers/require-tool.js';
import { allChecks, describeCheck, haplab, labelledLeft, readReport, tail } from './check-helpers.js';
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
const ALL_TIMEOUT_MS = 1_200_000;

/** A host port nobody listens on (127.0.0.1), checked by binding it for a moment. */
async function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The catalogue's host ports for ep09 with both proxies: HAProxy's, the TS proxy's (+100), stats (+9). */
async function cataloguePortsFree(spec: LabSpec): Promise<boolean> {
  const ports = spec.frontends.flatMap((f) => [f.hostPort, f.hostPort + 100]);
  ports.push(spec.frontends[0]!.hostPort + STATS_PORT_OFFSET, spec.frontends[0]!.hostPort + 100 + STATS_PORT_OFFSET);
  for (const port of ports) if (!(await portFree(port))) return false;
  return true;
}

describeDocker('haplab check --all, the whole catalogue, --proxy both on docker (CLI)', () => {
  let docker: Docker;
  let root: string;
  let suite: SuiteReport | undefined;
  let run: Awaited<ReturnType<typeof haplab>> | undefined;
  /** Why the catalogue could not run here (a port of it taken), for each test to say. */
  let portsTaken: string | undefined;
  const specs = new Map<string, LabSpec>();
  const labs: string[] = [];
  const timings: { what: string; seconds: number; verdict: string }[] = [];

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    root = await mkdtemp(join(tmpdir(), 'haplab-check-catalogue-'));
    for (const episode of EPISODES) specs.set(episode, await episodeSpec(episode, 'both', 'offline'));
    const taken: string[] = [];
    for (const [episode, spec] of specs) {
      for (const port of labResources(spec).flatMap((r) => (r.startsWith('port:') ? [Number(r.slice(5))] : []))) {
        if (!(await portFree(port))) taken.push(`${episode}:${port}`);
      }
    }
    if (taken.length) {
      portsTaken = `catalogue ports taken on this machine: ${taken.join(', ')}`;
      return;
    }
    const json = join(root, 'all.json');
    const started = performance.now();
    run = await haplab(['check', '--all', '--runtime', 'docker', '--proxy', 'both', '--images', 'offline', '-j', '2', '--seed', SEED, '--json', json], ALL_TIMEOUT_MS);
    console.log(`check --all on docker, --proxy both, -j 2: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    suite = JSON.parse(await readFile(json, 'utf8').catch(() => 'null')) as SuiteReport | undefined ?? undefined;
    for (const lab of suite?.labs ?? []) {
      if (lab.report?.lab) labs.push(lab.report.lab);
      timings.push({ what: `${lab.episode} (${specs.get(lab.episode)?.title ?? '?'})`, seconds: lab.durationMs / 1000, verdict: lab.report?.verdict ?? `error: ${lab.error?.message ?? '?'}` });
    }
  }, ALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    if (timings.length) {
      const total = timings.reduce((s, t) => s + t.seconds, 0);
      const lines = timings.map((t) => `  ${t.what.padEnd(46)} ${t.seconds.toFixed(1).padStart(6)} s  ${t.verdict}`);
      console.log(`\nhaplab check on docker, --proxy both, seed ${SEED} (labs side by side: the sum exceeds the wall time):\n${lines.join('\n')}\n  ${'sum'.padEnd(46)} ${total.toFixed(1).padStart(6)} s\n`);
    }
  }, 300_000);

  it('the catalogue is ep02…ep13; check --all exits 0 with one report for all, two labs at once where they may', async (context) => {
    expect(await catalogueIds()).toEqual(EPISODES);
    requireHere(context, 'check --all on the catalogue ports', portsTaken);
    expect(run?.code, run && tail(run)).toBe(0);
    expect(run!.stdout).toContain('docker runtime');
    expect(run!.stdout).toMatch(/^PASS: 12 of 12 labs passed in [\d.]+ s \(docker: .*up to 2 at a time\)$/m);
    expect(suite).toMatchObject({ kind: 'suite', verdict: 'pass', proxy: 'both', jobs: 2, seed: SEED });
    expect(suite!.labs.map((l) => l.episode)).toEqual(EPISODES);
    // Side by side where allowed: some two labs overlapped in time; the ones that must run alone overlapped none.
    const span = (episode: string) => {
      const lab = suite!.labs.find((l) => l.episode === episode)!;
      const start = Date.parse(lab.startedAt!);
      return [start, start + lab.durationMs] as const;
    };
    const overlaps = (a: string, b: string) => span(a)[0] < span(b)[1] && span(b)[0] < span(a)[1];
    const pairs = EPISODES.flatMap((a, i) => EPISODES.slice(i + 1).map((b) => [a, b] as const));
    expect(pairs.some(([a, b]) => overlaps(a, b)), 'no two labs ran side by side').toBe(true);
    const alone = EPISODES.filter((e) => needsMachineAlone(specs.get(e)!, false));
    expect(alone).toEqual(['ep06', 'ep08', 'ep11']);
    for (const a of alone) expect(EPISODES.filter((b) => b !== a && overlaps(a, b)), `${a} ran beside others`).toEqual([]);
  });

  for (const episode of EPISODES) {
    it(`${episode}: passes every check on docker with both proxies`, (context) => {
      requireHere(context, 'check --all on the catalogue ports', portsTaken);
      const lab = suite?.labs.find((l) => l.episode === episode);
      expect(lab?.error, `${episode} did not run`).toBeUndefined();
      const r: Report | undefined = lab?.report;
      expect(r, `${episode}: no report`).toBeDefined();
      const spec = specs.get(episode)!;
      expect({ episode: r!.episode, proxy: r!.proxy, runtime: r!.runtime, seed: r!.seed, verdict: r!.verdict })
        .toEqual({ episode, proxy: 'both', runtime: 'docker', seed: SEED, verdict: 'pass' });
      expect(r!.reports?.map((x) => [x.proxy, x.runtime, x.verdict])).toEqual([['haproxy', 'docker', 'pass'], ['ts', 'docker', 'pass']]);

      // Every check passed, or was skipped for a reason this episode may give on docker.
      const checks = allChecks(r!);
      expect(checks.length).toBeGreaterThan(0);
      const allowed = MAY_SKIP[episode] ?? {};
      const wrong = checks.filter(({ check }) => {
        if (check.skipped === undefined) return !check.pass;
        const reason = allowed[check.name];
        return !reason || !reason.test(check.skipped) || check.pass;
      });
      expect(wrong.map(describeCheck), 'failed, or skipped where docker can run them').toEqual([]);
      for (const sub of r!.reports!) {
        expect(sub.checks.filter((c) => !c.skipped).length, `${sub.proxy}: no check ran`).toBeGreaterThan(0);
        expect(sub.requests).toBeGreaterThan(0);
      }

      if (BALANCING.has(episode)) {
        const servers = primaryBackend(spec).servers.filter((s) => !s.disabled && !s.backup && s.weight > 0).map((s) => s.name);
        for (const sub of r!.reports!) {
          for (const name of servers) expect(sub.counts[name], `${sub.proxy}: count of ${name}`).toBeGreaterThan(0);
        }
        // The top level's counts are the sum over the proxies (report/types.ts).
        for (const name of servers) expect(r!.counts[name]).toBe(r!.reports!.reduce((s, x) => s + (x.counts[name] ?? 0), 0));
      }

      if (episode === 'ep08') {
        // Both proxies draw from HAProxy 2.6's fixed-seed streams: each one's picks are found
        // there and replayed (haplab's proxy on one thread), not tested as fresh draws.
        for (const sub of r!.reports!) {
          const observed = sub.checks.find((c) => c.name === 'random.distribution')?.observed;
          expect(observed, `${sub.proxy}: random picks not found on HAProxy 2.6's streams`).toMatch(sub.proxy === 'ts' ? /^all \d+ picks, on thread 0 / : /^all \d+ picks, on threads? \d/);
        }
      }

      if (episode === 'ep04') {
        // Docker gives the probe 192.168.1.x and 192.168.10.x: the deny and the /admin rule run for real.
        for (const sub of r!.reports!) {
          const names = sub.checks.map((c) => c.name);
          expect(names.filter((n) => /from (inside|just outside|outside) /.test(n)), `${sub.proxy}: source-address probes skipped`).toEqual([]);
          // Every rule line, the src ones included, is exercised both ways on docker.
          for (const f of spec.frontends) expect(sub.checks.find((c) => c.name === `acl.coverage ${f.name}`), `${sub.proxy}: acl.coverage ${f.name}`).toMatchObject({ pass: true });
          const deny = sub.checks.find((c) => c.name === 'acl.block_front → 403 (deny)');
          expect(deny, `${sub.proxy}: no probe from 192.168.1.0/24 was denied`).toMatchObject({ pass: true });
          expect(sub.checks.find((c) => c.name === 'acl.admin_front → admin_backend')).toMatchObject({ pass: true });
        }
      }
    });
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

  it('leaves nothing of the scratch labs: no container, network or volume labelled with them, and none of their images', async (context) => {
    requireHere(context, 'check --all on the catalogue ports', portsTaken);
    expect(labs).toHaveLength(EPISODES.length);
    expect(await labelledLeft(docker, labs)).toEqual([]);
    for (const lab of labs) {
      const images = await docker.listImages({ filters: { label: [`io.haplab.lab=${lab}`] } });
      expect(images.map((i) => i.RepoTags?.join(',') ?? i.Id), `${lab}: images`).toEqual([]);
    }
  });
});
