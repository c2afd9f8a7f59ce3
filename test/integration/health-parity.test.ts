/**
 * Health checks next to HAProxy 2.6 on the same config and the same apps (ep11):
 * `option httpchk GET /health` with `http-check expect status 200` and `inter 200ms fall 2
 * rise 2`: a server whose /health answers 503 leaves rotation within fall × inter (plus one
 * interval of phase and a loaded machine's slack), comes back after rise × inter, and the
 * `backup` server takes traffic only while every active server is down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import { reservePort, send, startHaproxy, startNamedBackends, type HaproxyProcess, type NamedBackends } from './proxy-helpers.js';

const INTER = 200;
const FALL = 2;
const RISE = 2;

describeWithTool(HAPROXY, 'health checks parity with HAProxy 2.6', () => {
  let apps: NamedBackends;
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  const port = { haproxy: 0, ts: 0 };
  /** /health status per app; 204 is a 2xx that `expect status 200` must still refuse. */
  const health: Record<string, number> = { a: 200, b: 200, c: 200 };

  const config = (p: number) => `
global
    nbthread 1
defaults
    mode http
    timeout connect 200ms
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${p}
    default_backend b
backend b
    option httpchk GET /health
    http-check expect status 200
    server a 127.0.0.1:${apps.ports.a} check inter ${INTER}ms fall ${FALL} rise ${RISE}
    server b 127.0.0.1:${apps.ports.b} check inter ${INTER}ms fall ${FALL} rise ${RISE}
    server c 127.0.0.1:${apps.ports.c} check inter ${INTER}ms fall ${FALL} rise ${RISE} backup
`;

  beforeAll(async () => {
    apps = await startNamedBackends(['a', 'b', 'c'], (name, req, res) => {
      req.resume();
      if (req.url === '/health') {
        res.statusCode = health[name]!;
        res.end();
        return true;
      }
      res.end(name);
      return true;
    });
    port.haproxy = await reservePort();
    port.ts = await reservePort();
    haproxy = await startHaproxy(config(port.haproxy), port.haproxy);
    ours = await startProxy(parseConfig(config(port.ts)));
    await new Promise((r) => setTimeout(r, (RISE + FALL) * INTER * 2));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await apps?.close();
  });

  /** Polls both proxies every 25 ms until `done` holds for each; returns when it first held, ms after `since`. */
  async function until(done: (served: string) => boolean, since: number, capMs: number) {
    const at: Record<'haproxy' | 'ts', number | undefined> = { haproxy: undefined, ts: undefined };
    const seen: Record<'haproxy' | 'ts', string[]> = { haproxy: [], ts: [] };
    while (performance.now() - since < capMs && (at.haproxy === undefined || at.ts === undefined)) {
      for (const proxy of ['haproxy', 'ts'] as const) {
        if (at[proxy] !== undefined) continue;
        // Two requests: one rotation step each way, so a server still in rotation shows.
        const served = [(await send(port[proxy], { path: '/' })).body, (await send(port[proxy], { path: '/' })).body];
        seen[proxy].push(...served);
        if (served.every(done)) at[proxy] = performance.now() - since;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return { at, seen };
  }

  it('a server failing its check leaves rotation within fall × inter, returns after rise × inter; backup only when all actives are down', async () => {
    health.a = 204;
    let t0 = performance.now();
    const out = await until((s) => s !== 'a', t0, 10_000);
    // Leaves after `fall` failed checks: at most fall × inter plus the phase of the next check and slack.
    for (const p of ['haproxy', 'ts'] as const) expect(out.at[p], p).toBeLessThan(FALL * INTER + INTER + 600);
    expect(out.seen.ts.filter((s) => s === 'c')).toEqual([]);
    expect(out.seen.haproxy.filter((s) => s === 'c')).toEqual([]);

    health.b = 503;
    t0 = performance.now();
    const backup = await until((s) => s === 'c', t0, 10_000);
    for (const p of ['haproxy', 'ts'] as const) expect(backup.at[p], p).toBeLessThan(FALL * INTER + INTER + 600);

    health.a = 200;
    health.b = 200;
    t0 = performance.now();
    const back = await until((s) => s !== 'c', t0, 10_000);
    for (const p of ['haproxy', 'ts'] as const) {
      // Not before `rise` good checks (the first can come at once), and not much after.
      expect(back.at[p], p).toBeGreaterThanOrEqual((RISE - 1) * INTER - 50);
      expect(back.at[p], p).toBeLessThan(RISE * INTER + INTER + 600);
    }
  }, 40_000);
});

/**
 * A frozen server (SIGSTOP: the kernel still completes the handshake, nothing answers): how
 * long one failing `option httpchk` check takes, read from each proxy's own stats page
 * (check_duration), for each way HAProxy bounds the answer (src/proxy/health.ts):
 *  - `timeout check`: HAProxy ends the check at the first turn of its event loop after
 *    connect + `timeout check` (here the stats reads make those turns), at the latest at the
 *    connect phase's end, min(inter, timeout connect); this proxy at `timeout check`;
 *  - `timeout check` longer than that connect phase: it is the bound on both;
 *  - no `timeout check`: `inter` for the whole check, on both.
 * A connect that never completes (L4TOUT at min(inter, timeout connect)) cannot be made on
 * loopback, where SYN cookies complete a handshake even into a full accept queue.
 */
describeWithTool(HAPROXY, 'a frozen server: the duration of a failing check, next to HAProxy 2.6', () => {
  let frozen: ChildProcess | undefined;
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  const port = { haproxy: 0, ts: 0 };
  /** backend → its timeout lines, [lowest, highest] duration HAProxy's rules allow (ms); this proxy's own where it differs. */
  interface Case { timeouts: string; haproxy: [number, number]; ts?: [number, number] }
  const cases: Record<string, Case> = {
    check: { timeouts: 'timeout check 200ms\n    timeout connect 1500ms', haproxy: [200, 1000], ts: [200, 200] },
    check_connect_short: { timeouts: 'timeout check 200ms\n    timeout connect 600ms', haproxy: [200, 600], ts: [200, 200] },
    check_longer: { timeouts: 'timeout check 1500ms\n    timeout connect 300ms', haproxy: [1500, 1500] },
    inter_only: { timeouts: 'timeout connect 300ms', haproxy: [1000, 1000] },
  };

  const config = (p: number, frozenPort: number) => `
global
    nbthread 1
defaults
    mode http
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${p}
    stats uri /stats
    default_backend check
${Object.entries(cases).map(([name, c]) => `backend ${name}
    ${c.timeouts}
    option httpchk GET /health
    server frozen 127.0.0.1:${frozenPort} check inter 1s fall 1000 rise 1
`).join('')}`;

  beforeAll(async () => {
    const frozenPort = await reservePort();
    frozen = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${frozenPort}, '127.0.0.1', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      frozen!.stdout!.once('data', () => resolve());
      frozen!.once('exit', (code) => reject(new Error(`the frozen server's process exited (${code}) before listening`)));
    });
    frozen.kill('SIGSTOP');
    port.haproxy = await reservePort();
    port.ts = await reservePort();
    haproxy = await startHaproxy(config(port.haproxy, frozenPort), port.haproxy);
    ours = await startProxy(parseConfig(config(port.ts, frozenPort)));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    frozen?.kill('SIGKILL');
  });

  /** backend → its server's check_status and check_duration on that proxy's stats page. */
  async function checks(p: number): Promise<Map<string, { status: string; ms: number }>> {
    const [head, ...rows] = (await send(p, { path: '/stats;csv' })).body.trim().split('\n').map((l) => l.split(','));
    const col = (name: string) => head!.indexOf(name);
    return new Map(rows.filter((r) => r[col('svname')] === 'frozen').map((r) => [r[col('# pxname')]!, { status: r[col('check_status')]!, ms: Number(r[col('check_duration')]) }]));
  }

  it('takes as long on both proxies as HAProxy\'s rules allow, in each way', async () => {
    const seen: Record<'haproxy' | 'ts', Map<string, { status: string; ms: number }>> = { haproxy: new Map(), ts: new Map() };
    // Every backend has failed a check within two rounds (inter 1 s + at most 1.5 s each).
    const deadline = performance.now() + 15_000;
    const done = (m: Map<string, { status: string }>) => Object.keys(cases).every((b) => /L7TOUT/.test(m.get(b)?.status ?? ''));
    while (performance.now() < deadline && !(done(seen.haproxy) && done(seen.ts))) {
      await new Promise((r) => setTimeout(r, 250));
      seen.haproxy = await checks(port.haproxy);
      seen.ts = await checks(port.ts);
    }
    const table = JSON.stringify({ haproxy: [...seen.haproxy], ts: [...seen.ts] });
    for (const [backend, c] of Object.entries(cases)) {
      for (const proxy of ['haproxy', 'ts'] as const) {
        const [low, high] = proxy === 'ts' ? (c.ts ?? c.haproxy) : c.haproxy;
        const check = seen[proxy].get(backend);
        expect(check?.status, `${proxy} ${backend}: ${table}`).toMatch(/L7TOUT/);
        // Timers fire late on a loaded machine, never early.
        expect(check!.ms, `${proxy} ${backend}: ${table}`).toBeGreaterThanOrEqual(low - 20);
        expect(check!.ms, `${proxy} ${backend}: ${table}`).toBeLessThan(high + 400);
      }
    }
  }, 40_000);
});
