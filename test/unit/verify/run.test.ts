/**
 * verifyLab over a fake lab: --proxy both judges each proxy on the same traffic, lbtot is
 * cross-checked, --requests and --seed take effect, α is split over the checks, and a proxy
 * the lab does not run is refused (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { primaryBackend, type LabSpec, type ProxyKind } from '../../../src/lab-schema/types.js';
import type { ProbeRequest } from '../../../src/runtime/types.js';
import { parseStatsCsv } from '../../../src/verify/lbstats.js';
import { verifyLab } from '../../../src/verify/run.js';
import { appOf, fakeLab, spec, swrr, testBalanceOracle, type Behaviour } from './fakes.js';
import { specOracles } from '../../../src/verify/spec-oracles.js';

/** A rotating proxy that also keeps HAProxy-style lbtot counters for its stats CSV. */
function countingRotation(lab: LabSpec, order: string[], lbtot: Map<string, number>): Behaviour {
  const backend = primaryBackend(lab);
  let i = 0;
  return (_req: ProbeRequest) => {
    const server = order[i++ % order.length]!;
    lbtot.set(`${backend.name}/${server}`, (lbtot.get(`${backend.name}/${server}`) ?? 0) + 1);
    return { app: appOf(backend, server) };
  };
}

function csv(lab: LabSpec, lbtot: Map<string, number>): string {
  const rows = primaryBackend(lab).servers.map((s) => `${primaryBackend(lab).name},${s.name},0,${lbtot.get(`${primaryBackend(lab).name}/${s.name}`) ?? 0}`);
  return ['# pxname,svname,qcur,lbtot', 'http_front,FRONTEND,0,', ...rows, `${primaryBackend(lab).name},BACKEND,0,0`].join('\n');
}

describe('verifyLab', async () => {
  const ep09 = await spec('ep09');
  const backend = primaryBackend(ep09);

  it('--proxy both: one report per proxy on the same traffic, lbtot cross-checked', async () => {
    const counters: Record<ProxyKind, Map<string, number>> = { haproxy: new Map(), ts: new Map() };
    const cycle = swrr(backend, 6);
    const fake = fakeLab(ep09, {
      haproxy: countingRotation(ep09, [...swrr(backend, 6, 2), ...cycle].slice(0, 6), counters.haproxy),
      ts: countingRotation(ep09, cycle, counters.ts),
    }, { stats: [{ proxy: 'haproxy', url: 'http://127.0.0.1:8099/stats' }, { proxy: 'ts', url: 'http://127.0.0.1:8199/stats' }] });
    const fetchText = async (url: string) => {
      expect(url).toMatch(/;csv$/);
      return csv(ep09, url.includes('8099') ? counters.haproxy : counters.ts);
    };
    const report = await verifyLab(fake.instance, fake.prober, { seed: 7, oracles: { balance: testBalanceOracle() }, fetchText });
    expect(report.proxy).toBe('both');
    expect(report.reports!.map((r) => r.proxy)).toEqual(['haproxy', 'ts']);
    expect(report.verdict).toBe('pass');
    for (const r of report.reports!) {
      expect(r.checks.map((c) => [c.name, c.pass])).toEqual([
        ['rr.answered', true], ['rr.cycle-counts', true], ['rr.order', true],
        // verify on a lab left up does not change a weight unless asked (--weight-change).
        ['rr.runtime-weight', false],
        ['stats.lbtot', true],
        // The stand-in oracle has no balancer factory: the candidates check says so, skipped.
        ['balance.candidates', false],
      ]);
      expect(r.checks.find((c) => c.name === 'rr.runtime-weight')!.skipped).toMatch(/a lab left up keeps its weights/);
      expect(r.checks.find((c) => c.name === 'balance.candidates')!.skipped).toMatch(/no balancer factory/);
    }
    expect(report.requests).toBe(report.reports![0]!.requests * 2);
    // Same generated traffic on both proxies.
    const byProxy = (p: ProxyKind) => fake.sent.filter((r) => r.proxy === p).map((r) => `${r.method} ${r.path}`);
    expect(byProxy('haproxy')).toEqual(byProxy('ts'));
  });

  it('one proxy wrong: its report fails, and so does the whole', async () => {
    const fake = fakeLab(ep09, {
      haproxy: countingRotation(ep09, swrr(backend, 6), new Map()),
      ts: countingRotation(ep09, ['server1', 'server2', 'server3'], new Map()),
    });
    const report = await verifyLab(fake.instance, fake.prober, { seed: 7, oracles: { balance: testBalanceOracle() } });
    expect(report.verdict).toBe('fail');
    expect(report.reports!.map((r) => r.verdict)).toEqual(['pass', 'fail']);
    const lbtot = report.reports![0]!.checks.find((c) => c.name === 'stats.lbtot')!;
    expect(lbtot.skipped).toMatch(/no stats page/);
  });

  it('lbtot that disagrees with the clients fails stats.lbtot', async () => {
    const counters = new Map<string, number>();
    const fake = fakeLab(ep09, { haproxy: countingRotation(ep09, swrr(backend, 6), counters) }, { stats: [{ proxy: 'haproxy', url: 'http://x/stats;csv' }] });
    let calls = 0;
    const fetchText = async () => (calls++ === 0 ? csv(ep09, new Map()) : csv(ep09, new Map([...counters].map(([k, v]) => [k, v + 1]))));
    const report = await verifyLab(fake.instance, fake.prober, { seed: 1, oracles: { balance: testBalanceOracle() }, fetchText });
    expect(report.proxy).toBe('haproxy');
    expect(report.checks.find((c) => c.name === 'stats.lbtot')!.pass).toBe(false);
    expect(report.verdict).toBe('fail');
  });

  it('a server that went DOWN and came back (chkdown on the stats page): the order is skipped with why, the counts still judged', async () => {
    // A rotation with the right counts in every cycle, in another order than a fresh start's:
    // what fwrr does after a server left its tree and came back.
    const fresh = swrr(backend, 6);
    const moved = [...fresh.slice(1), fresh[0]!].reverse();
    expect(moved).not.toEqual(fresh);
    const run = async (chkdown: number, order: string[]) => {
      const counters = new Map<string, number>();
      const fake = fakeLab(ep09, { haproxy: countingRotation(ep09, order, counters) }, { stats: [{ proxy: 'haproxy', url: 'http://x/stats' }] });
      const fetchText = async () => csv(ep09, counters).replace('# pxname,svname,qcur,lbtot', '# pxname,svname,qcur,lbtot,chkdown')
        .split('\n').map((line) => (line.startsWith(`${backend.name},server2,`) ? `${line},${chkdown}` : `${line},0`)).join('\n');
      return verifyLab(fake.instance, fake.prober, { seed: 3, oracles: { balance: testBalanceOracle() }, fetchText });
    };
    const after = await run(1, moved);
    const order = after.checks.find((c) => c.name === 'rr.order')!;
    expect(order.skipped).toMatch(/server2 \(chkdown 1\) went DOWN and came back/);
    expect(after.checks.find((c) => c.name === 'rr.cycle-counts')!.pass).toBe(true);
    expect(after.verdict).toBe('pass');
    // The same order with no server ever down fails: the skip comes from the stats page only.
    const untouched = await run(0, moved);
    expect(untouched.checks.find((c) => c.name === 'rr.order')!.pass).toBe(false);
    expect(untouched.verdict).toBe('fail');
    // And counts that are wrong still fail after a server came back.
    const wrongCounts = await run(1, ['server1', 'server2', 'server3']);
    expect(wrongCounts.checks.find((c) => c.name === 'rr.cycle-counts')!.pass).toBe(false);
    expect(wrongCounts.verdict).toBe('fail');
  });

  it('--requests raises the computed count; --seed makes the run repeatable', async () => {
    const mk = () => fakeLab(ep09, { haproxy: countingRotation(ep09, swrr(backend, 6), new Map()) });
    const a = await verifyLab(mk().instance, mk().prober, { requests: 100, seed: 'x', oracles: { balance: testBalanceOracle() } });
    expect(a.requests).toBe(102); // raised to whole cycles of 6
    expect(a.seed).toBe('x');
  });

  it('refuses a proxy the lab does not run (exit 2)', async () => {
    const fake = fakeLab(ep09, { haproxy: countingRotation(ep09, swrr(backend, 6), new Map()) });
    await expect(verifyLab(fake.instance, fake.prober, { proxy: 'ts' })).rejects.toBeInstanceOf(BadInputError);
  });

  it('splits α over the statistical checks of both proxies (Bonferroni)', async () => {
    const ep08 = await spec('ep08');
    const b = primaryBackend(ep08);
    let i = 0;
    const uniform: Behaviour = () => ({ app: appOf(b, ['server1', 'server2', 'server3'][i++ % 3]!) });
    const fake = fakeLab(ep08, { haproxy: uniform, ts: uniform });
    const report = await verifyLab(fake.instance, fake.prober, { seed: 3, oracles: { balance: testBalanceOracle({ server1: 1 / 3, server2: 1 / 3, server3: 1 / 3 }) } });
    // ep08 has three statistical checks per proxy (distribution, peak load vs plain random,
    // the candidates check's test of the configured ring).
    expect(report.notes.join(" ")).toMatch(/split over 6 statistical checks: 0\.00167/);
    expect(report.reports![0]!.algorithm).toBe('random(2)');
    expect(report.reports![0]!.checks.find((c) => c.name === 'random.distribution')!.pass).toBe(true);
  });

  it('ep04: the ACL model is chosen, routes judged from the spec', async () => {
    const ep04 = await spec('ep04');
    const oracle = specOracles(ep04).route;
    const fake = fakeLab(ep04, {
      haproxy: (req) => {
        const f = ep04.frontends.find((x) => x.name === req.frontend)!;
        const d = oracle.decide(f, { method: req.method, path: req.path, headers: req.headers ?? {}, sourceAddress: req.sourceAddress ?? '127.0.0.1' });
        return d.kind === 'deny' ? { status: 403 } : { app: ep04.backends.find((b) => b.name === d.backend)!.servers[0]!.app };
      },
    }, { runtime: 'local' });
    const report = await verifyLab(fake.instance, fake.prober, { seed: 4, oracles: { route: oracle } });
    expect(report.verdict).toBe('pass');
    // Inside and just outside each of the two 192.168.x ranges, the coverage of those two frontends, lbtot.
    expect(report.checks.filter((c) => c.skipped).length).toBe(7);
    expect(Object.keys(report.counts)).toContain('web_backend/web1');
  });

  it('parses HAProxy stats CSV rows', () => {
    const t = parseStatsCsv('# pxname,svname,lbtot\nservers,server1,5\nservers,BACKEND,9\n');
    expect([...t]).toEqual([['servers/server1', 5]]);
  });
});
