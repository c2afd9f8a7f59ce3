/**
 * Failures and recovery, next to HAProxy 2.6 where timing matters: connect retries with
 * their turn-around delay, redispatch, 504 on a silent server, health checks taking a
 * server out of rotation and back, and the stats CSV showing it.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { STAT_COLUMNS } from '../../src/proxy/stats-page.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import { eventually, reservePort, send, startHaproxy, type HaproxyProcess } from './proxy-helpers.js';

/** A backend that can be stopped and started again on the same (reserved) port. */
class Switchable {
  private server?: http.Server;
  private readonly sockets = new Set<net.Socket>();
  healthStatus = 200;

  constructor(
    readonly name: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.url === '/health') res.statusCode = this.healthStatus;
      if (req.url === '/hang') return; // never answers
      res.setHeader('x-backend', this.name);
      res.end(this.name);
    });
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

describe('failover', () => {
  let live: Switchable;
  let checked: Switchable;
  let other: Switchable;
  let deadPort: number;
  let proxy: RunningProxy;
  let ours: Record<string, number>;

  const config = (ports: Record<string, number>) => `
global
    nbthread 1
defaults
    mode http
    timeout connect 100ms
    timeout client 5s
    timeout server 300ms
    retries 2

frontend retry_same
    bind 127.0.0.1:${ports.retrySame}
    default_backend dead_only
frontend redispatch_rr
    bind 127.0.0.1:${ports.redispatchRr}
    default_backend dead_and_live
frontend silent
    bind 127.0.0.1:${ports.silent}
    default_backend live_only
frontend checked
    bind 127.0.0.1:${ports.checked}
    stats uri /stats
    default_backend with_checks
frontend nothing_up
    bind 127.0.0.1:${ports.nothingUp}
    default_backend all_disabled

backend dead_only
    server dead 127.0.0.1:${deadPort}
backend dead_and_live
    option redispatch
    timeout connect 1s
    server dead 127.0.0.1:${deadPort}
    server live 127.0.0.1:${live.port}
backend live_only
    server live 127.0.0.1:${live.port}
backend with_checks
    option httpchk GET /health
    server checked 127.0.0.1:${checked.port} check inter 100ms rise 2 fall 2
    server other 127.0.0.1:${other.port} check inter 100ms
backend all_disabled
    server off 127.0.0.1:${live.port} disabled
`;

  const frontPorts = async () => ({
    retrySame: await reservePort(),
    redispatchRr: await reservePort(),
    silent: await reservePort(),
    checked: await reservePort(),
    nothingUp: await reservePort(),
  });

  /**
   * What `retries 2` with `timeout connect 100ms` takes: two turn-arounds of
   * min(timeout connect, 1 s) = 200 ms. The upper bound tells it from a 1 s turn-around
   * (2 s), with room for a loaded machine.
   */
  const expectRetryTime = (ms: number) => {
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1500);
  };

  beforeAll(async () => {
    // Reserved ports, not listen(0): these servers stop and start again on the same port.
    live = new Switchable('live', await reservePort());
    checked = new Switchable('checked', await reservePort());
    other = new Switchable('other', await reservePort());
    // Port 1 (tcpmux) on loopback: nothing here listens on it, so connects are always refused,
    // unlike a port picked free now that another test may bind a moment later.
    deadPort = 1;
    await Promise.all([live.start(), checked.start(), other.start()]);
    ours = await frontPorts();
    proxy = await startProxy(parseConfig(config(ours)));
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([live?.stop(), checked?.stop(), other?.stop()]);
  });

  it('retries a refused connect `retries` times on the same server, waiting timeout connect each time, then 503', async () => {
    const mine = await timed(() => send(ours.retrySame, { path: '/' }));
    expect(mine.value.status).toBe(503);
    expectRetryTime(mine.ms);
    expect(proxy.backends.get('dead_only')!.counters.retries).toBeGreaterThanOrEqual(2);
  });

  it('redispatches at once to a live server with option redispatch and round robin', async () => {
    for (let k = 0; k < 4; k++) {
      const r = await timed(() => send(ours.redispatchRr, { path: '/' }));
      expect(r.value.status).toBe(200);
      expect(r.value.body).toBe('live');
      // a same-server retry would first wait min(timeout connect, 1 s) = 1 s
      expect(r.ms).toBeLessThan(1000);
    }
    const stats = proxy.backends.get('dead_and_live')!.counters;
    expect(stats.redispatches).toBeGreaterThan(0);
    // and none of those waits happened: no retry went back to the dead server
    expect(stats.retries).toBe(0);
  });

  it('answers 504 when the server stays silent past timeout server, like HAProxy', async () => {
    const mine = await timed(() => send(ours.silent, { path: '/hang' }));
    expect(mine.value.status).toBe(504);
    expect(mine.ms).toBeGreaterThanOrEqual(290);
  });

  it('answers 503 when no server is usable, like HAProxy', async () => {
    expect((await send(ours.nothingUp, { path: '/' })).status).toBe(503);
  });

  it('takes a server that stops answering out of rotation and brings it back', async () => {
    const server = proxy.backends.get('with_checks')!.servers.find((s) => s.name === 'checked')!;
    const backendsSeen = async (n: number) => {
      const seen = new Set<string>();
      for (let k = 0; k < n; k++) seen.add((await send(ours.checked, { path: '/' })).body);
      return seen;
    };
    expect(await eventually(() => server.health.lastStatus === 'L7OK')).toBe(true);
    expect(await backendsSeen(4)).toEqual(new Set(['checked', 'other']));

    await checked.stop();
    expect(await eventually(() => !server.up)).toBe(true);
    expect(await backendsSeen(4)).toEqual(new Set(['other']));
    const csv = (await send(ours.checked, { path: '/stats;csv' })).body;
    const header = csv.split('\n')[0]!;
    expect(header).toBe(`# ${STAT_COLUMNS.join(',')},`);
    const row = csv.split('\n').find((l) => l.startsWith('with_checks,checked,'))!.split(',');
    expect(row[STAT_COLUMNS.indexOf('status')]).toBe('DOWN');

    await checked.start();
    expect(await eventually(() => server.up)).toBe(true);
    expect(server.health.health).toBe(server.health.rise + server.health.fall - 1);
    expect(await backendsSeen(4)).toEqual(new Set(['checked', 'other']));
  });

  it('fails an HTTP check on a 5xx status and passes it again on 2xx', async () => {
    const server = proxy.backends.get('with_checks')!.servers.find((s) => s.name === 'other')!;
    other.healthStatus = 503;
    expect(await eventually(() => !server.up)).toBe(true);
    expect(server.health.lastStatus).toBe('L7STS');
    other.healthStatus = 302;
    expect(await eventually(() => server.up)).toBe(true);
  });

  it('counts sessions per server in the stats CSV', async () => {
    const csv = (await send(ours.checked, { path: '/stats;csv' })).body;
    const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','));
    const col = (row: string[], name: (typeof STAT_COLUMNS)[number]) => row[STAT_COLUMNS.indexOf(name)];
    const fe = rows.find((r) => r[0] === 'checked' && r[1] === 'FRONTEND')!;
    const be = rows.find((r) => r[0] === 'with_checks' && r[1] === 'BACKEND')!;
    const servers = rows.filter((r) => r[0] === 'with_checks' && r[1] !== 'BACKEND');
    expect(col(fe, 'status')).toBe('OPEN');
    expect(servers.map((r) => col(r, 'type'))).toEqual(['2', '2']);
    const lbtot = servers.reduce((n, r) => n + Number(col(r, 'lbtot')), 0);
    expect(Number(col(be, 'lbtot'))).toBe(lbtot);
    expect(Number(col(be, 'stot'))).toBe(lbtot);
    expect(lbtot).toBeGreaterThanOrEqual(12);
  });

  describeWithTool(HAPROXY, 'HAProxy 2.6 on the same config', () => {
    let haproxy: HaproxyProcess;
    let theirs: Record<string, number>;

    beforeAll(async () => {
      theirs = await frontPorts();
      haproxy = await startHaproxy(config(theirs), theirs.nothingUp);
    });

    afterAll(async () => {
      await haproxy?.stop();
    });

    it('retries a refused connect with the same turn-around, then 503', async () => {
      const reference = await timed(() => send(theirs.retrySame, { path: '/' }));
      expect(reference.value.status).toBe(503);
      expectRetryTime(reference.ms);
    });

    it('answers 504 to a silent server and 503 when no server is usable', async () => {
      expect((await send(theirs.silent, { path: '/hang' })).status).toBe(504);
      expect((await send(theirs.nothingUp, { path: '/' })).status).toBe(503);
    });
  });
});
