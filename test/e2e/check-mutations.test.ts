/**
 * The verifier can fail. Labs are made with the CLI, then their rendered haproxy.cfg is
 * changed BEHIND THE SPEC'S BACK (lab.yaml untouched) before `up`: HAProxy runs the edited
 * file, the verifier judges by the spec (its oracles render their own config from lab.yaml),
 * so `haplab check DIR` / `haplab verify DIR` must exit 1, and the JSON and terminal reports
 * must name the check that caught it — while the checks the edit does not touch still pass,
 * so the failure is the algorithm's, not a broken lab's. On docker (HAProxy runs the file as
 * it is); the local runtime, which can only run the config lab.yaml renders, must refuse
 * such a lab (exit 2) rather than judge a config nobody wrote.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/verify/report/types.js';
import { allChecks, describeCheck, haplab, labelledLeft, MUTATION_PORT_SHIFT, newLabViaCli, readReport, tail } from './check-helpers.js';
import { describeDocker, engine, ensureBuilt } from './docker-helpers.js';

const SEED = '7';
const RUN_TIMEOUT_MS = 300_000;

interface Mutation {
  /** The lab's (and its directory's) name. */
  lab: string;
  episode: string;
  what: string;
  /** The edit; it must change the file. */
  mutate(cfg: string): string;
  /** Checks that must fail, by name. */
  failing: string[];
  /** Checks the edit leaves alone: they must still pass. */
  passing: string[];
  more?(report: Report): void;
}

/** Replaces exactly one match of `pattern`, or throws: an edit that silently did nothing would prove nothing. */
function replaceOnce(cfg: string, pattern: RegExp, by: string): string {
  const matches = cfg.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)) ?? [];
  if (matches.length !== 1) throw new Error(`expected one match of ${pattern} in haproxy.cfg, found ${matches.length}`);
  return cfg.replace(pattern, by);
}

const MUTATIONS: Mutation[] = [
  {
    lab: 'hlmut-ep07-roundrobin',
    episode: 'ep07',
    what: '`balance source` swapped for `balance roundrobin`',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*)balance source$/m, '$1balance roundrobin'),
    failing: ['hash.sticky', 'hash.model'],
    passing: ['hash.answered'],
  },
  {
    lab: 'hlmut-ep04-no-static-acl',
    episode: 'ep04',
    what: 'the `use_backend static_backend if is_static` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*use_backend static_backend if is_static\n/m, ''),
    failing: ['acl.path_front → static_backend'],
    // The other frontends (and path_front's other routes) still do what the rules say.
    passing: ['acl.path_front → dynamic_backend', 'acl.block_front → 403 (deny)', 'acl.method_front → post_backend', 'acl.agent_front → mobile_backend', 'acl.admin_front → admin_backend', 'acl.submit_front → submit_backend'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.path_front → static_backend')!;
      // It says where /static went instead.
      expect(check.detail).toMatch(/\/static\S* → dynamic_backend/);
    },
  },
  {
    lab: 'hlmut-ep04-no-deny',
    episode: 'ep04',
    what: 'the `http-request deny if is_admin_path !is_internal_network` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*http-request deny if is_admin_path !is_internal_network\n/m, ''),
    failing: ['acl.admin_front → 403 (deny)'],
    passing: ['acl.admin_front → admin_backend', 'acl.coverage admin_front', 'acl.block_front → 403 (deny)', 'acl.path_front → static_backend'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.admin_front → 403 (deny)')!;
      // /admin from outside 192.168.10.0/24 was served, and the check says which rule should have refused it.
      expect(check.detail).toMatch(/GET \/admin\S* from 192\.168\.\d+\.\d+ → admin_backend \(rule: http-request deny if is_admin_path !is_internal_network \(haproxy\.cfg line \d+\)\)/);
      expect(check.covers).toContainEqual(expect.stringMatching(/^http-request deny if is_admin_path !is_internal_network \(haproxy\.cfg line \d+\)$/));
    },
  },
  {
    lab: 'hlmut-ep04-agent-no-i',
    episode: 'ep04',
    what: 'the `-i` dropped from the `acl is_mobile_user_agent` line',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*acl is_mobile_user_agent req\.hdr\(User-Agent\)) -i (-m sub Mobile)$/m, '$1 $2'),
    // A lower/upper-case "mOBILE" must still go to the mobile backend.
    failing: ['acl.agent_front → mobile_backend'],
    passing: ['acl.agent_front → desktop_backend', 'acl.coverage agent_front', 'acl.method_front → post_backend'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.agent_front → mobile_backend')!;
      expect(check.detail).toMatch(/UA "[^"]*mOBILE[^"]*" → desktop_backend/);
      expect(check.covers).toContainEqual(expect.stringMatching(/^acl is_mobile_user_agent req\.hdr\(User-Agent\) -i -m sub Mobile \(haproxy\.cfg line \d+\)$/));
    },
  },
  {
    lab: 'hlmut-ep04-block-cidr',
    episode: 'ep04',
    what: 'the `acl block_ip` range widened from 192.168.1.0/24 to 192.168.0.0/23',
    mutate: (cfg) => replaceOnce(cfg, /^(\s*acl block_ip src) 192\.168\.1\.0\/24$/m, '$1 192.168.0.0/23'),
    // Only the probes from the block next to the range (192.168.0.0/24) can see it.
    failing: ['acl.block_front → web_backend'],
    passing: ['acl.block_front → 403 (deny)', 'acl.coverage block_front', 'acl.admin_front → 403 (deny)'],
    more(report) {
      const check = report.checks.find((c) => c.name === 'acl.block_front → web_backend')!;
      expect(check.detail).toMatch(/from 192\.168\.0\.\d+ → 403 \(deny\)/);
      expect(check.covers).toContainEqual(expect.stringMatching(/^acl block_ip src 192\.168\.1\.0\/24 \(haproxy\.cfg line \d+\)$/));
    },
  },
  {
    lab: 'hlmut-ep09-no-server3',
    episode: 'ep09',
    what: 'the `server server3` line deleted',
    mutate: (cfg) => replaceOnce(cfg, /^\s*server server3 .*\n/m, ''),
    failing: ['rr.cycle-counts', 'rr.order'],
    passing: ['rr.answered'],
    more(report) {
      expect(report.counts.server3 ?? 0).toBe(0);
      const naming = report.checks.filter((c) => !c.pass && !c.skipped && `${c.expected} ${c.observed} ${c.detail}`.includes('server3'));
      expect(naming.map((c) => c.name), 'no failing check names server3').not.toEqual([]);
    },
  },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The terminal report shows the check on a line of its own with its verdict. */
function expectTerminalVerdict(stdout: string, name: string, verdict: 'FAIL' | 'PASS'): void {
  expect(stdout, `terminal report: ${name} ${verdict}`).toMatch(new RegExp(`^${escape(name)}\\s.*\\s${verdict}\\s*$`, 'm'));
}

function expectCaught(report: Report, stdout: string, m: Pick<Mutation, 'failing' | 'passing'>): void {
  expect(report.verdict).toBe('fail');
  const byName = new Map(allChecks(report).map((c) => [c.check.name, c]));
  for (const name of m.failing) {
    const c = byName.get(name);
    expect(c, `no check ${name} in the report`).toBeDefined();
    expect(c!.check.skipped, describeCheck(c!)).toBeUndefined();
    expect(c!.check.pass, describeCheck(c!)).toBe(false);
    expectTerminalVerdict(stdout, name, 'FAIL');
  }
  for (const name of m.passing) {
    const c = byName.get(name);
    expect(c, `no check ${name} in the report`).toBeDefined();
    expect(c!.check.pass, describeCheck(c!)).toBe(true);
  }
  expect(stdout).toMatch(/· FAIL$/m);
}

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
    for (const lab of labs) await haplab(['down', join(root, lab)]).catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true });
  }, 300_000);

  /** A HAProxy lab through the CLI; returns its dir and lab.yaml as written. */
  async function makeLab(lab: string, episode: string): Promise<{ dir: string; spec: string; cfgFile: string }> {
    labs.push(lab);
    const dir = join(root, lab);
    await newLabViaCli(episode, dir, 'haproxy', MUTATION_PORT_SHIFT);
    return { dir, spec: await readFile(join(dir, 'lab.yaml'), 'utf8'), cfgFile: join(dir, 'haproxy', 'haproxy.cfg') };
  }

  async function mutateCfg(cfgFile: string, mutate: (cfg: string) => string): Promise<void> {
    const before = await readFile(cfgFile, 'utf8');
    const after = mutate(before);
    expect(after).not.toBe(before);
    await writeFile(cfgFile, after);
  }

  it('ep09 with weights 2,1,3 → 3,1,2 in haproxy.cfg: passes before the edit; after it, `haplab verify` fails rr.cycle-counts and rr.order', async () => {
    const { dir, spec, cfgFile } = await makeLab('hlmut-ep09-weights', 'ep09');
    // Control: the lab as rendered passes, so what fails below is the edit.
    const control = await haplab(['check', dir, '--runtime', 'docker', '--seed', SEED], RUN_TIMEOUT_MS);
    expect(control.code, tail(control)).toBe(0);

    await mutateCfg(cfgFile, (cfg) => replaceOnce(
      replaceOnce(cfg, /^(\s*server server1 \S+) weight 2 /m, '$1 weight 3 '),
      /^(\s*server server3 \S+) weight 3 /m, '$1 weight 2 ',
    ));
    const up = await haplab(['up', dir, '--runtime', 'docker'], RUN_TIMEOUT_MS);
    expect(up.code, tail(up)).toBe(0);
    try {
      const json = join(root, 'hlmut-ep09-weights.json');
      const verify = await haplab(['verify', dir, '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
      expect(verify.code, tail(verify)).toBe(1);
      const report = await readReport(json);
      expect(report).toMatchObject({ episode: 'ep09', proxy: 'haproxy', runtime: 'docker', seed: SEED });
      expectCaught(report, verify.stdout, { failing: ['rr.cycle-counts', 'rr.order'], passing: ['rr.answered'] });
      // HAProxy really ran the edited weights: 3:1:2 per cycle of 6.
      const n = report.requests;
      expect(report.counts).toEqual({ server1: (n / 6) * 3, server2: n / 6, server3: (n / 6) * 2 });
    } finally {
      const down = await haplab(['down', dir]);
      expect(down.code, tail(down)).toBe(0);
    }
    expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).toBe(spec);
    expect(await labelledLeft(docker, ['hlmut-ep09-weights'])).toEqual([]);
  }, 2 * RUN_TIMEOUT_MS);

  for (const m of MUTATIONS) {
    it(`${m.episode} with ${m.what}: haplab check DIR exits 1 and names ${m.failing.join(', ')}`, async () => {
      const { dir, spec, cfgFile } = await makeLab(m.lab, m.episode);
      await mutateCfg(cfgFile, m.mutate);
      const json = join(root, `${m.lab}.json`);
      const result = await haplab(['check', dir, '--runtime', 'docker', '--seed', SEED, '--json', json], RUN_TIMEOUT_MS);
      expect(result.code, tail(result)).toBe(1);
      expect(existsSync(json), 'the --json report was not written').toBe(true);
      const report = await readReport(json);
      expect(report).toMatchObject({ episode: m.episode, lab: m.lab, proxy: 'haproxy', runtime: 'docker', seed: SEED });
      expectCaught(report, result.stdout, m);
      m.more?.(report);
      expect(await readFile(join(dir, 'lab.yaml'), 'utf8')).toBe(spec);
      expect(await labelledLeft(docker, [m.lab])).toEqual([]);
    }, RUN_TIMEOUT_MS + 60_000);
  }

  it('leaves nothing labelled io.haplab.lab of these labs: no container, network or volume', async () => {
    expect(labs.length).toBeGreaterThan(0);
    expect(await labelledLeft(docker, labs)).toEqual([]);
  });
});

describe('the local runtime refuses a lab whose haproxy.cfg was edited (it can only run the config lab.yaml renders)', () => {
  let root: string;

  beforeAll(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'haplab-check-mutations-local-'));
  }, 300_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ep09 with weights changed in haproxy.cfg: haplab check DIR --runtime local exits 2 naming the file, and judges nothing', async () => {
    const dir = join(root, 'hlmut-local-ep09');
    await newLabViaCli('ep09', dir, 'haproxy', MUTATION_PORT_SHIFT + 500);
    const cfgFile = join(dir, 'haproxy', 'haproxy.cfg');
    await writeFile(cfgFile, replaceOnce(await readFile(cfgFile, 'utf8'), /^(\s*server server1 \S+) weight 2 /m, '$1 weight 3 '));
    const result = await haplab(['check', dir, '--runtime', 'local', '--seed', SEED], RUN_TIMEOUT_MS);
    expect(result.code, tail(result)).toBe(2);
    expect(result.stderr).toContain(`${cfgFile} differs from the config lab.yaml renders`);
    expect(result.stderr).toContain('--runtime docker');
    expect(result.stdout).not.toMatch(/PASS/);
  }, RUN_TIMEOUT_MS);
});
