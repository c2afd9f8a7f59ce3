/**
 * --chaos: the failover model against simulated proxies in virtual time (no sleeping): a
 * proxy that drops the dead server and takes it back in time passes; one that never drops it
 * fails out-of-rotation; one that never takes it back fails back-in-rotation. Plus what the
 * config implies, read from haproxy.cfg.
 */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { renderHaproxyCfg } from '../../../src/render/haproxy-cfg.js';
import { normalizeSpec } from '../../../src/lab-schema/normalize.js';
import { primaryBackend, type LabSpec } from '../../../src/lab-schema/types.js';
import { failoverModel, serverStatus, type ChaosFaults, type Clock, type FailoverOptions } from '../../../src/verify/models/failover.js';
import {
  impliedFailover, parseChaosMode, settingsFromConfig, type ChaosHow, type FailoverSettings,
} from '../../../src/verify/models/failover-judge.js';
import { verifyLab } from '../../../src/verify/run.js';
import { fakeLab, spec, type Behaviour } from './fakes.js';
import { byName, failing, runModel } from './harness.js';

function virtualClock(): Clock {
  let t = 0;
  return {
    now: () => t,
    async sleep(ms: number) {
      t += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

interface Fault {
  app?: string;
  disruptedAt?: number;
  resumedAt?: number;
  how?: ChaosHow;
}

interface ProxySim {
  /** ms after the disruption when the proxy marks the server down; null: never. */
  removeAfter: number | null;
  /** ms after the app is back when the proxy marks it up; null: never. */
  backAfter: number | null;
  redispatch?: boolean;
  /** What a request meets on a paused server: no answer before the client's timeout. */
  hangMs?: number;
}

/** Round robin over ep05's servers with a health view that lags the fault as `sim` says. */
function simulatedProxy(lab: LabSpec, fault: Fault, sim: ProxySim): { behaviour: Behaviour; status: (server: string, now: number) => string } {
  const servers = primaryBackend(lab).servers;
  let i = 0;
  const down = (now: number) => {
    if (fault.disruptedAt === undefined || sim.removeAfter === null || now < fault.disruptedAt + sim.removeAfter) return false;
    return !(fault.resumedAt !== undefined && sim.backAfter !== null && now >= fault.resumedAt + sim.backAfter);
  };
  const dead = (now: number) => fault.disruptedAt !== undefined && now >= fault.disruptedAt && !(fault.resumedAt !== undefined && now >= fault.resumedAt);
  const behaviour: Behaviour = (_req, { now }) => {
    const target = fault.app;
    const usable = servers.filter((s) => !(s.app === target && down(now)));
    const pick = usable[i++ % usable.length]!;
    if (pick.app === target && dead(now)) {
      if (fault.how === 'pause') return { status: 0, error: 'timeout after 3000 ms', delayMs: sim.hangMs ?? 3000 };
      if (sim.redispatch) {
        const others = usable.filter((s) => s.app !== target);
        return { app: others[i % others.length]!.app, delayMs: 2 };
      }
      return { status: 503, delayMs: 3000 };
    }
    return { app: pick.app, delayMs: 2 };
  };
  const serverOf = (app: string | undefined) => servers.find((s) => s.app === app)?.name;
  return { behaviour, status: (server, now) => (server === serverOf(fault.app) && down(now) ? 'DOWN' : 'UP') };
}

function faultsOf(clock: Clock, fault: Fault): ChaosFaults {
  return {
    async disrupt(app, how) {
      fault.app = app;
      fault.disruptedAt = clock.now();
      fault.how = how;
    },
    async resume() {
      fault.resumedAt = clock.now();
    },
    // The simulated lab is a local one: a stopped app's port refuses at once.
    stoppedApp: 'refused',
  };
}

const DEFAULTS: FailoverSettings = {
  source: 'test', check: true, inter: 2000, rise: 2, fall: 3, httpCheck: false, timeoutConnect: 5000, timeoutServer: 50_000,
  retries: 3, redispatch: false, redispatchInterval: -1, hash: false, activeServers: 3,
};

async function chaos(lab: LabSpec, how: ChaosHow, sim: ProxySim, extra: Partial<FailoverOptions> & { stats?: boolean } = {}) {
  const clock = virtualClock();
  const fault: Fault = {};
  const { behaviour, status } = simulatedProxy(lab, fault, sim);
  const fake = fakeLab(lab, { haproxy: behaviour }, { runtime: 'local', clock: clock.now, stats: extra.stats ? [{ proxy: 'haproxy', url: 'http://127.0.0.1:8059/stats' }] : [] });
  const fetchText = async () => ['# pxname,svname,qcur,status', ...primaryBackend(lab).servers.map((s) => `servers,${s.name},0,${status(s.name, clock.now())}`)].join('\n');
  const model = failoverModel(lab, { mode: how, faults: faultsOf(clock, fault), clock, fetchText, ...extra });
  const { outcomes, notes } = await runModel(model, fake);
  return { checks: outcomes.get('haproxy')!.checks, notes, fault, sent: fake.sent.length, clock };
}

describe('failover model (--chaos), virtual time', async () => {
  const ep05 = await spec('ep05');

  it('stop: a proxy that drops the server within fall × inter and takes it back within rise × inter passes (config read from the rendered haproxy.cfg)', async () => {
    const { checks, notes, fault } = await chaos(ep05, 'stop', { removeAfter: 5000, backAfter: 3000 });
    expect(failing(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['failover.stop.out-of-rotation', 'failover.stop.back-in-rotation', 'failover.stop.no-loss']);
    const out = byName(checks, 'failover.stop.out-of-rotation');
    expect(out.expected).toContain('+8.00 s');
    expect(out.observed).toMatch(/^\+4\.[89]\d s/);
    expect(byName(checks, 'failover.stop.back-in-rotation').observed).toMatch(/^\+3\.\d\d s/);
    const loss = byName(checks, 'failover.stop.no-loss');
    expect(loss.expected).toMatch(/^up to \d+ lost \(no option redispatch/);
    expect(loss.detail).toMatch(/503/);
    expect(notes.join('\n')).toContain('rendered from lab.yaml');
    expect(notes.join('\n')).toContain('(app1) disrupted');
    // Without a stats page, resumed once the bound had passed (the last failing request, sent
    // ≈ +4.9 s and unanswered for longer than any normal answer, was a quiet second before).
    expect(fault.resumedAt! - fault.disruptedAt!).toBeGreaterThanOrEqual(8000);
    expect(fault.resumedAt! - fault.disruptedAt!).toBeLessThan(8100);
  });

  it('the stream goes through the lab prober\'s stream prober (Prober.forStream), and the report says from where', async () => {
    const clock = virtualClock();
    const fault: Fault = {};
    const { behaviour } = simulatedProxy(ep05, fault, { removeAfter: 5000, backAfter: 3000 });
    const stream = fakeLab(ep05, { haproxy: behaviour }, { runtime: 'local', clock: clock.now });
    const lab = fakeLab(ep05, { haproxy: () => ({ status: 0, error: 'the lab prober must not carry the stream' }) }, { runtime: 'local', clock: clock.now });
    const prober = { ...lab.prober, forStream: () => ({ ...stream.prober, origin: 'a stand-in host' }) };
    const { outcomes, notes } = await runModel(failoverModel(ep05, { mode: 'stop', faults: faultsOf(clock, fault), clock }), { ...lab, prober });
    expect(failing(outcomes.get('haproxy')!.checks)).toEqual([]);
    expect(lab.sent).toHaveLength(0);
    expect(stream.sent.length).toBeGreaterThan(100);
    expect(notes.join('\n')).toContain('chaos stop: the stream goes from a stand-in host (one request per 50 ms per proxy)');
  });

  it('stop: a proxy that never drops the server fails out-of-rotation', async () => {
    const { checks } = await chaos(ep05, 'stop', { removeAfter: null, backAfter: 3000 });
    expect(failing(checks)).toContain('failover.stop.out-of-rotation');
    expect(byName(checks, 'failover.stop.out-of-rotation').observed).toMatch(/still routed/);
  });

  it('stop: a proxy that never takes the server back fails back-in-rotation', async () => {
    const { checks } = await chaos(ep05, 'stop', { removeAfter: 5000, backAfter: null });
    expect(failing(checks)).toEqual(['failover.stop.back-in-rotation']);
    expect(byName(checks, 'failover.stop.back-in-rotation').observed).toMatch(/no answer from app/);
  });

  it('stop: a proxy that is too slow to drop the server fails out-of-rotation', async () => {
    const { checks } = await chaos(ep05, 'stop', { removeAfter: 9000, backAfter: 3000 });
    expect(failing(checks)).toEqual(['failover.stop.out-of-rotation']);
    expect(byName(checks, 'failover.stop.out-of-rotation').observed).toMatch(/^\+8\.9\d s/);
  });

  it('stop with retries + option redispatch: nothing may be lost; the stats page times the removal the clients cannot see', async () => {
    const settings = async () => ({ ...DEFAULTS, redispatch: true });
    const { checks } = await chaos(ep05, 'stop', { removeAfter: 5000, backAfter: 3000, redispatch: true }, { settings, stats: true });
    expect(failing(checks)).toEqual([]);
    expect(byName(checks, 'failover.stop.no-loss')).toMatchObject({ observed: expect.stringMatching(/^0 lost/), expected: expect.stringMatching(/^no request lost \(retries 3 \+ option redispatch/) });
    expect(byName(checks, 'failover.stop.out-of-rotation').observed).toMatch(/DOWN on the stats page/);

    const blind = await chaos(ep05, 'stop', { removeAfter: 5000, backAfter: 3000, redispatch: true }, { settings });
    expect(byName(blind.checks, 'failover.stop.out-of-rotation').skipped).toMatch(/not observable/);

    const never = await chaos(ep05, 'stop', { removeAfter: null, backAfter: 3000, redispatch: true }, { settings, stats: true });
    expect(failing(never.checks)).toEqual(['failover.stop.out-of-rotation']);
    expect(byName(never.checks, 'failover.stop.out-of-rotation').observed).toMatch(/never showed server\d DOWN/);
  });

  it('stop with redispatch but a lossy proxy fails no-loss', async () => {
    const settings = async () => ({ ...DEFAULTS, redispatch: true });
    const { checks } = await chaos(ep05, 'stop', { removeAfter: 5000, backAfter: 3000 }, { settings, stats: true });
    expect(failing(checks)).toEqual(['failover.stop.no-loss']);
  });

  it('pause behind a plain TCP check: the proxy cannot notice, so the server must stay in rotation; its requests hang', async () => {
    const { checks } = await chaos(ep05, 'pause', { removeAfter: null, backAfter: 0 });
    expect(failing(checks)).toEqual([]);
    const out = byName(checks, 'failover.pause.out-of-rotation');
    expect(out.expected).toMatch(/stays in rotation/);
    expect(out.observed).toMatch(/still routed/);
    expect(byName(checks, 'failover.pause.no-loss').detail).toMatch(/hung/);

    const removed = await chaos(ep05, 'pause', { removeAfter: 5000, backAfter: 3000 }, { stats: true });
    expect(failing(removed.checks)).toContain('failover.pause.out-of-rotation');
  });

  it('pause with option httpchk: detected by the check timeout (inter when timeout check is unset)', async () => {
    const settings = async () => ({ ...DEFAULTS, httpCheck: true });
    const { checks } = await chaos(ep05, 'pause', { removeAfter: 10_000, backAfter: 3000 }, { settings });
    expect(failing(checks)).toEqual([]);
    expect(byName(checks, 'failover.pause.out-of-rotation').expected).toContain('+14.00 s');
  });

  it('skips, never passes, where nothing can be disrupted', async () => {
    const clock = virtualClock();
    const fake = fakeLab(ep05, { haproxy: () => ({ app: 'app1' }) }, { runtime: 'local', clock: clock.now });
    const { outcomes } = await runModel(failoverModel(ep05, { mode: 'both', clock }), fake);
    const checks = outcomes.get('haproxy')!.checks;
    expect(checks).toHaveLength(6);
    expect(checks.every((c) => c.skipped === 'this runtime cannot stop or pause apps' && !c.pass)).toBe(true);
    const ep02 = await spec('ep02');
    const tcp = await runModel(failoverModel(ep02, { mode: 'stop', clock, faults: faultsOf(clock, {}) }), fakeLab(ep02, { haproxy: () => ({ app: 'flask1' }) }, { runtime: 'local' }));
    expect(tcp.outcomes.get('haproxy')!.checks[0]!.skipped).toMatch(/no HTTP frontend/);
  });

  it('verifyLab adds the failover model with --chaos (skipped without faults) after the balancing model', async () => {
    const servers = primaryBackend(ep05).servers;
    let i = 0;
    const fake = fakeLab(ep05, { haproxy: () => ({ app: servers[i++ % 3]!.app }) });
    const report = await verifyLab(fake.instance, fake.prober, { seed: 1, chaos: 'pause' });
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['rr.order', 'failover.pause.out-of-rotation', 'failover.pause.no-loss']));
  });
});

describe('what the config implies', async () => {
  const ep05 = await spec('ep05');
  const backend = primaryBackend(ep05);

  it('reads inter/rise/fall, timeouts, retries and redispatch from haproxy.cfg', () => {
    const seed = settingsFromConfig(renderHaproxyCfg(normalizeSpec(ep05)), 'haproxy.cfg', backend, 'server3');
    expect(seed).toMatchObject({ check: true, inter: 2000, rise: 2, fall: 3, httpCheck: false, timeoutConnect: 5000, timeoutServer: 50_000, retries: 3, redispatch: false, hash: false, activeServers: 3 });
    const tuned = renderHaproxyCfg(normalizeSpec(ep05))
      .replace('balance roundrobin', 'balance roundrobin\n    retries 2\n    option redispatch\n    option httpchk GET /\n    timeout check 500ms')
      .replace('app3:5003 check', 'app3:5003 check inter 1s rise 3 fall 2');
    const s = settingsFromConfig(tuned, 'haproxy.cfg', backend, 'server3');
    expect(s).toMatchObject({ inter: 1000, rise: 3, fall: 2, httpCheck: true, timeoutCheck: 500, retries: 2, redispatch: true, redispatchInterval: -1 });
  });

  it('bounds: stop refuses at once locally, a killed container times the check out; pause needs httpchk', () => {
    const ctx = { cadenceMs: 50, share: 1 / 3, appDelayMs: 0 };
    const local = impliedFailover(DEFAULTS, 'stop', { ...ctx, stoppedApp: 'refused' });
    expect(local).toMatchObject({ detect: true, outBoundMs: 8000, backBoundMs: 6150, failingCheckMs: 0 });
    expect(local.maxLost).toBeGreaterThan(0);
    expect(local.retryLatencyMs).toBe(800);
    const docker = impliedFailover({ ...DEFAULTS, redispatch: true }, 'stop', { ...ctx, stoppedApp: 'unanswered' });
    expect(docker).toMatchObject({ detect: true, outBoundMs: 14_000, failingCheckMs: 2000, maxLost: 0, requestTimeoutMs: 7000 });
    expect(impliedFailover({ ...DEFAULTS, redispatch: true }, 'stop', { ...ctx, stoppedApp: 'refused' }).retryLatencyMs).toBeUndefined();
    expect(impliedFailover(DEFAULTS, 'pause', { ...ctx, stoppedApp: 'unanswered' })).toMatchObject({ detect: false, requestTimeoutMs: 3000 });
    const http = impliedFailover({ ...DEFAULTS, httpCheck: true, timeoutCheck: 1000 }, 'pause', { ...ctx, stoppedApp: 'refused' });
    // The check's connect phase (min(timeout connect 5 s, inter 2 s)) bounds it, not the 1 s `timeout check`.
    expect(http).toMatchObject({ detect: true, failingCheckMs: 2000, outBoundMs: 14_000 });
    // A `timeout check` longer than the connect phase is the bound.
    expect(impliedFailover({ ...DEFAULTS, httpCheck: true, timeoutCheck: 3000 }, 'pause', { ...ctx, stoppedApp: 'refused' })).toMatchObject({ failingCheckMs: 3000, outBoundMs: 17_000 });
    expect(http.maxLost).toBeGreaterThan(0);
    // A hash backend redispatches only on the last retry: the client waits the retries out.
    expect(impliedFailover({ ...DEFAULTS, redispatch: true, hash: true }, 'stop', { ...ctx, stoppedApp: 'refused' }).requestTimeoutMs).toBe(5000);
    expect(impliedFailover({ ...DEFAULTS, redispatch: true, hash: true }, 'stop', { ...ctx, stoppedApp: 'unanswered' }).requestTimeoutMs).toBe(25_000);
    // Without redispatch the losses are expected: the client does not wait HAProxy's 503 out.
    expect(impliedFailover(DEFAULTS, 'stop', { ...ctx, stoppedApp: 'unanswered' }).requestTimeoutMs).toBe(6000);
  });

  it('parses --chaos', () => {
    expect(parseChaosMode(undefined)).toBeUndefined();
    expect(parseChaosMode(true)).toBe('stop');
    expect(parseChaosMode('pause')).toBe('pause');
    expect(parseChaosMode('both')).toBe('both');
    expect(() => parseChaosMode('ep05')).toThrow(BadInputError);
  });

  it('reads a server status from a stats CSV', () => {
    const csv = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status\nservers,server3,0,0,0,0,,1,0,0,,0,,0,0,0,0,DOWN 1/2\n';
    expect(serverStatus(csv, 'servers', 'server3')).toBe('DOWN 1/2');
    expect(serverStatus(csv, 'servers', 'server9')).toBeUndefined();
  });
});

