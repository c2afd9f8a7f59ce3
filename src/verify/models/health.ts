/**
 * Health checks (ep11), on every backend with `healthCheck`, through the HTTP frontend that
 * sends to it by default. A steady stream (one request per proxy every CADENCE_MS, fresh
 * connections, from this host: the failover stream's prober) runs while the lab makes one
 * active server's health route fail and then pass again (Runtime.setAppHealthy: the app
 * keeps serving), then fails every active server. From the client side, with the bounds
 * computed from the spec's inter/fall/rise:
 *  - out: the failing server's last answer comes within fall × inter (+ one interval of
 *    check phase + tolerance) of the flip, and not before (fall − 1) × inter;
 *  - no request to it while it is down: every request sent after that bound is answered,
 *    by another server;
 *  - back: its first answer after healing comes within rise × inter (+ phase + tolerance),
 *    and not before (rise − 1) × inter;
 *  - backup: no backup server answers while an active one is up, and once every active
 *    server failed, the backups answer everything.
 */
import type { BackendSpec, LabSpec, ProxyKind } from '../../lab-schema/types.js';
import type { ProbeResponse, Prober } from '../../runtime/types.js';
import { serverOf } from '../observe.js';
import { skippedCheck, type Check } from '../report/types.js';
import { CADENCE_MS } from './failover-stream.js';
import { tallyServed, type Model, type ModelContext, type ModelResult, type ProxyOutcome } from './types.js';

interface Sample {
  sentAt: number;
  response: ProbeResponse;
}

/** The bounds a spec's health check implies, in ms (tolerance: timer slack, a loaded machine, the flip itself). */
export function healthBounds(h: { interMs: number; fall: number; rise: number }, cadenceMs: number, activeServers: number) {
  const toleranceMs = Math.max(500, h.interMs);
  return {
    outMaxMs: h.fall * h.interMs + h.interMs + toleranceMs,
    outMinMs: Math.max(0, (h.fall - 1) * h.interMs - activeServers * cadenceMs - 100),
    backMaxMs: h.rise * h.interMs + h.interMs + toleranceMs,
    backMinMs: Math.max(0, (h.rise - 1) * h.interMs - 100),
    toleranceMs,
  };
}

/** Streams one request per proxy every cadence until `stop` resolves; the samples per proxy. */
class Stream {
  readonly samples = new Map<ProxyKind, Sample[]>();
  private running = true;
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly prober: Prober, private readonly proxies: ProxyKind[], private readonly frontend: string) {
    for (const p of proxies) this.samples.set(p, []);
  }

  async run(): Promise<void> {
    while (this.running) {
      for (const proxy of this.proxies) {
        const sentAt = performance.now();
        this.pending.push(this.prober.send([{ proxy, frontend: this.frontend, method: 'GET', path: '/', connection: 'fresh' }], { timeoutMs: 10_000 })
          .then(([response]) => { this.samples.get(proxy)!.push({ sentAt, response: response! }); }));
      }
      await sleep(CADENCE_MS);
    }
    await Promise.all(this.pending);
  }

  stop(): void {
    this.running = false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

const fmt = (ms: number) => `${Math.round(ms)} ms`;

export function judgeOut(prefix: string, backend: BackendSpec, server: string, samples: readonly Sample[], flip: { start: number; end: number }, healStart: number, b: ReturnType<typeof healthBounds>): Check[] {
  const before = samples.filter((s) => s.sentAt < healStart);
  const served = before.filter((s) => serverOf(backend, s.response) === server);
  const last = served.filter((s) => s.sentAt >= flip.start).map((s) => s.sentAt).reduce((a, x) => Math.max(a, x), -Infinity);
  const leftAfter = last === -Infinity ? 0 : last - flip.start;
  const outOk = last === -Infinity ? false : last - flip.end <= b.outMaxMs && leftAfter >= b.outMinMs;
  const down = before.filter((s) => s.sentAt > flip.end + b.outMaxMs);
  const wrong = down.filter((s) => !(s.response.status >= 200 && s.response.status < 300) || serverOf(backend, s.response) === server);
  return [
    {
      name: `${prefix}.out`,
      expected: `${server} answers its last request between ${fmt(b.outMinMs)} and ${fmt(b.outMaxMs)} after its health route fails ((fall − 1) × inter … fall × inter + inter + ${fmt(b.toleranceMs)})`,
      observed: last === -Infinity ? `no answer from ${server} after the flip` : `last answer sent ${fmt(leftAfter)} after the flip`,
      pass: outOk,
      detail: outOk ? 'left rotation in time' : last === -Infinity ? `${server} answered nothing after the flip: it left too early, or was not in rotation` : leftAfter < b.outMinMs ? 'left before fall checks could have failed' : 'still in rotation past the bound',
    },
    {
      name: `${prefix}.none-while-down`,
      expected: `no request answered by ${server} while it is down, every one answered by another server`,
      observed: `${down.length - wrong.length}/${down.length}`,
      pass: down.length > 0 && wrong.length === 0,
      detail: down.length === 0 ? 'no request was sent while it was down' : wrong.length === 0 ? 'all elsewhere' : `${wrong.length} not: ${wrong.slice(0, 3).map((s) => serverOf(backend, s.response) ?? `status ${s.response.status}`).join(', ')}`,
    },
  ];
}

export function judgeBack(prefix: string, backend: BackendSpec, server: string, samples: readonly Sample[], heal: { start: number; end: number }, b: ReturnType<typeof healthBounds>): Check {
  const first = samples.filter((s) => s.sentAt >= heal.start && serverOf(backend, s.response) === server).map((s) => s.sentAt).reduce((a, x) => Math.min(a, x), Infinity);
  const pass = first !== Infinity && first - heal.end <= b.backMaxMs && first - heal.start >= b.backMinMs;
  return {
    name: `${prefix}.back`,
    expected: `${server} answers again between ${fmt(b.backMinMs)} and ${fmt(b.backMaxMs)} after its health route passes ((rise − 1) × inter … rise × inter + inter + ${fmt(b.toleranceMs)})`,
    observed: first === Infinity ? 'never answered again' : `first answer sent ${fmt(first - heal.start)} after healing`,
    pass,
    detail: pass ? 'back in rotation in time' : first === Infinity ? 'not back in rotation' : first - heal.start < b.backMinMs ? 'back before rise checks could have passed' : 'back too late',
  };
}

export function judgeBackup(prefix: string, backend: BackendSpec, samples: readonly Sample[], allDown: { start: number; end: number }, b: ReturnType<typeof healthBounds>): Check[] {
  const backups = new Set(backend.servers.filter((s) => s.backup).map((s) => s.name));
  const idle = samples.filter((s) => s.sentAt < allDown.start);
  const early = idle.filter((s) => backups.has(serverOf(backend, s.response) ?? ''));
  const late = samples.filter((s) => s.sentAt > allDown.end + b.outMaxMs);
  const notBackup = late.filter((s) => !(s.response.status >= 200 && s.response.status < 300) || !backups.has(serverOf(backend, s.response) ?? ''));
  return [
    {
      name: `${prefix}.backup-idle`,
      expected: 'no backup server answers while an active server is up',
      observed: `${early.length} of ${idle.length} answered by a backup`,
      pass: idle.length > 0 && early.length === 0,
      detail: early.length === 0 ? 'backups idle' : `a backup answered while actives were up (${early.length} requests)`,
    },
    {
      name: `${prefix}.backup-takes-over`,
      expected: `every request answered by a backup once all active servers are down (${fmt(b.outMaxMs)} after they fail)`,
      observed: `${late.length - notBackup.length}/${late.length}`,
      pass: late.length > 0 && notBackup.length === 0,
      detail: notBackup.length === 0 ? 'backups took over' : `${notBackup.length} not: ${notBackup.slice(0, 3).map((s) => serverOf(backend, s.response) ?? `status ${s.response.status}`).join(', ')}`,
    },
  ];
}

export function healthTargets(spec: LabSpec): { frontend: string; backend: BackendSpec }[] {
  return spec.backends.flatMap((backend) => {
    const frontend = backend.healthCheck && spec.frontends.find((f) => f.mode === 'http' && f.defaultBackend === backend.name && !(f.rules?.length))?.name;
    return frontend ? [{ frontend, backend }] : [];
  });
}

export function healthModel(spec: LabSpec): Model {
  return {
    name: 'health',
    statisticalChecks: 0,
    changesServers: true,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const notes: string[] = [];
      const perProxy: ModelResult['perProxy'] = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} } as ProxyOutcome]));
      for (const { frontend, backend } of healthTargets(spec)) {
        const h = backend.healthCheck!;
        const prefix = `health.${backend.name}`;
        const actives = backend.servers.filter((s) => !s.backup && !s.disabled && s.weight > 0);
        const victim = actives.find((s) => s.check) ?? actives[0];
        const setHealthy = ctx.faults?.setHealthy;
        if (!setHealthy || !victim) {
          const reason = !setHealthy ? "this runtime cannot fail an app's health route" : 'no active server';
          for (const o of perProxy.values()) o.checks.push(skippedCheck(`${prefix}.out`, 'a failing server leaves rotation in time', reason));
          continue;
        }
        const b = healthBounds(h, CADENCE_MS, actives.length);
        const stream = new Stream(ctx.prober.forStream?.() ?? ctx.prober, ctx.proxies, frontend);
        const running = stream.run();
        const timed = async (f: () => Promise<void>) => { const start = performance.now(); await f(); return { start, end: performance.now() }; };
        const flipped = new Set<string>();
        try {
          ctx.onStep?.(`health: stream to ${frontend}; settling`);
          await sleep((h.rise + h.fall) * h.interMs + 500);
          ctx.onStep?.(`health: ${victim.name}'s health route fails`);
          flipped.add(victim.app);
          const fail = await timed(() => setHealthy(victim.app, false));
          await sleep(b.outMaxMs + 1000);
          ctx.onStep?.(`health: ${victim.name}'s health route passes again`);
          const heal = await timed(() => setHealthy(victim.app, true));
          flipped.delete(victim.app);
          await sleep(b.backMaxMs + 500);
          ctx.onStep?.('health: every active server fails');
          for (const s of actives) flipped.add(s.app);
          const allDown = await timed(async () => { for (const s of actives) await setHealthy(s.app, false); });
          await sleep(b.outMaxMs + 1000);
          stream.stop();
          await running;
          for (const [proxy, samples] of stream.samples) {
            const o = perProxy.get(proxy)!;
            o.checks.push(...judgeOut(prefix, backend, victim.name, samples, fail, heal.start, b), judgeBack(prefix, backend, victim.name, samples.filter((s) => s.sentAt < allDown.start), heal, b));
            if (backend.servers.some((s) => s.backup)) o.checks.push(...judgeBackup(prefix, backend, samples, allDown, b));
            o.requests += samples.length;
            tallyServed(backend, samples.map((s) => s.response), o.served);
          }
          notes.push(`health ${backend.name}: inter ${h.interMs} ms, fall ${h.fall}, rise ${h.rise}: out within ${b.outMaxMs} ms, back within ${b.backMaxMs} ms (one request per proxy every ${CADENCE_MS} ms)`);
        } finally {
          stream.stop();
          await running.catch(() => undefined);
          for (const app of flipped) await setHealthy(app, true).catch(() => undefined);
        }
      }
      return { perProxy, notes };
    },
  };
}
