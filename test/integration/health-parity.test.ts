/**
 * Health checks next to HAProxy 2.6 on the same config and the same apps (ep11):
 * `option httpchk GET /health` with `http-check expect status 200` and `inter 200ms fall 2
 * rise 2`: a server whose /health answers 503 leaves rotation within fall × inter (plus one
 * interval of phase and a loaded machine's slack), comes back after rise × inter, and the
 * `backup` server takes traffic only while every active server is down.
 */
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
