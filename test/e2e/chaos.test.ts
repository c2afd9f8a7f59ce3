/**
 * `haplab verify DIR --chaos …` on a real engine (offline images), ep05 with HAProxy and
 * haplab's TypeScript proxy side by side, the generated haproxy.cfg plus `retries 3` and
 * `option redispatch`:
 *   - `--chaos both` with the seed's plain `check`: the killed app's container address
 *     vanishes (HAProxy's connects to it time out and are redispatched: nothing may be
 *     lost); the paused app still completes TCP handshakes, so a connect check cannot
 *     notice it — it must stay in rotation, its requests hang;
 *   - `--chaos pause` with `option httpchk GET /` and `timeout check 1s`: now the check
 *     times out on the frozen app, which must leave rotation within fall × (inter + the
 *     connect phase, min(timeout connect, inter)) + inter: HAProxy 2.6 arms `timeout check`
 *     only when its connect completes at once (src/verify/models/failover-judge.ts).
 * The measured gaps are printed for the record.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDockerRuntime, type DockerRuntime } from '../../src/runtime/docker/index.js';
import type { Check, Report } from '../../src/verify/report/types.js';
import { runCli } from '../helpers/cli.js';
import { describeDocker, ensureBuilt, writeEpisodeLab } from './docker-helpers.js';

const PROXIES = ['haproxy', 'ts'] as const;

/** ep05 with lines added to its backend in both proxies' haproxy.cfg. */
async function labWith(name: string, backendLines: string[]): Promise<string> {
  const dir = await writeEpisodeLab('ep05', name, { proxy: 'both' });
  for (const service of ['haproxy', 'tsproxy']) {
    const cfg = join(dir, service, 'haproxy.cfg');
    const text = await readFile(cfg, 'utf8');
    await writeFile(cfg, text.replace('    balance roundrobin\n', `    balance roundrobin\n${backendLines.map((l) => `    ${l}\n`).join('')}`));
  }
  return dir;
}

async function verifyChaos(dir: string, mode: string): Promise<{ code: number | null; output: string; report: Report }> {
  const json = join(dir, 'report.json');
  const run = await runCli(['verify', dir, '--chaos', mode, '--seed', '3', '--json', json], { timeoutMs: 150_000 });
  const report = JSON.parse(await readFile(json, 'utf8')) as Report;
  for (const r of report.reports ?? []) {
    for (const c of r.checks.filter((x) => x.name.startsWith('failover.'))) console.log(`${r.proxy} ${c.name}: expected ${c.expected}; observed ${c.observed}; ${c.detail}`);
  }
  return { code: run.code, output: run.stdout + run.stderr, report };
}

function failover(report: Report, proxy: string, how: string): Check[] {
  return report.reports!.find((r) => r.proxy === proxy)!.checks.filter((c) => c.name.startsWith(`failover.${how}.`));
}

const passing = (how: string) => [
  [`failover.${how}.out-of-rotation`, true], [`failover.${how}.back-in-rotation`, true], [`failover.${how}.no-loss`, true],
];

describeDocker('docker runtime: --chaos stop and pause, HAProxy and the TypeScript proxy', () => {
  let runtime: DockerRuntime;
  let tcpDir: string;
  let httpDir: string;
  let tcp: Awaited<ReturnType<typeof verifyChaos>>;
  let http: Awaited<ReturnType<typeof verifyChaos>>;

  beforeAll(async () => {
    ensureBuilt();
    runtime = await createDockerRuntime();
    tcpDir = await labWith('e2e-chaos', ['retries 3', 'option redispatch']);
    await runtime.up(tcpDir);
    tcp = await verifyChaos(tcpDir, 'both');
    await runtime.down(tcpDir, { images: true });
    httpDir = await labWith('e2e-chaos-httpchk', ['retries 3', 'option redispatch', 'option httpchk GET /', 'timeout check 1s']);
    await runtime.up(httpDir);
    http = await verifyChaos(httpDir, 'pause');
  }, 400_000);

  afterAll(async () => {
    for (const dir of [tcpDir, httpDir]) {
      if (!dir) continue;
      await runtime?.down(dir, { images: true }).catch(() => undefined);
      await rm(dirname(dir), { recursive: true, force: true });
    }
  });

  it('verify --chaos exits 0 with both proxies passing', () => {
    expect(tcp.code, tcp.output).toBe(0);
    expect(http.code, http.output).toBe(0);
    expect(tcp.report.reports!.map((r) => r.proxy)).toEqual(['haproxy', 'ts']);
  });

  it.each(PROXIES)('%s: a killed app leaves rotation in time and comes back in time; redispatch loses nothing', (proxy) => {
    const stop = failover(tcp.report, proxy, 'stop');
    expect(stop.map((c) => [c.name, c.pass])).toEqual(passing('stop'));
    expect(stop[0]!.expected).toBe('out of rotation ≤ +14.00 s after the stop');
    expect(stop[2]!.observed).toMatch(/^0 lost of \d+/);
  });

  it.each(PROXIES)('%s: a paused app stays in rotation behind a TCP check; its requests hang, as many as the config implies', (proxy) => {
    const pause = failover(tcp.report, proxy, 'pause');
    expect(pause.map((c) => [c.name, c.pass])).toEqual(passing('pause'));
    expect(pause[0]!.expected).toMatch(/^stays in rotation/);
    expect(pause[2]!.detail).toMatch(/hung/);
  });

  it.each(PROXIES)('%s: with option httpchk + timeout check 1s a paused app leaves rotation by the check timeout', (proxy) => {
    const pause = failover(http.report, proxy, 'pause');
    expect(pause.map((c) => [c.name, c.pass])).toEqual(passing('pause'));
    // fall 3 × (inter 2 s + a failing check's 2 s: the connect phase, min(timeout connect, inter)) + one inter.
    expect(pause[0]!.expected).toBe('out of rotation ≤ +14.00 s after the pause');
  });
});
