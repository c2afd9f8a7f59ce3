/**
 * Stick-table parity: Debian's real HAProxy 2.6 and haplab's proxy run the same rate limit
 * (track-sc0 src, deny 429 past 4 requests in http_req_rate(1s)) and get the same traffic at
 * the same moments, from loopback addresses of their own per scenario; every answer must
 * be the same from both. The scenarios are the ones where the counting rules show: a burst,
 * several clients interleaved, kept-alive requests each counted, an untracked counter that
 * must not match, and HAProxy's sliding period — a burst still refuses requests just after
 * its period ended (a fixed window would not), and is forgotten two periods on.
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { reservePort, send, startHaproxy, startNamedBackends, type HaproxyProcess, type NamedBackends } from './proxy-helpers.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';

const PERIOD_MS = 1000;
const LIMIT = 4;

function config(port: number, backend: number): string {
  return `global
    nbthread 1

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend limited
    bind 127.0.0.1:${port}
    stick-table type ip size 1k expire 30s store http_req_rate(${PERIOD_MS}ms),http_req_cnt
    http-request track-sc0 src
    # counter 1 tracks nothing: its fetch fails, so even 'ge 0' must not match
    http-request deny deny_status 403 if { sc_http_req_rate(1) ge 0 }
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt ${LIMIT} }
    default_backend app

backend app
    server app1 127.0.0.1:${backend}
`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithTool(HAPROXY, 'stick-table rate limiting: parity with HAProxy 2.6', () => {
  let backends: NamedBackends;
  let haproxy: HaproxyProcess;
  let ours: RunningProxy;
  const ports: number[] = [];

  beforeAll(async () => {
    backends = await startNamedBackends(['app']);
    ports.push(await reservePort(), await reservePort());
    haproxy = await startHaproxy(config(ports[0]!, backends.ports.app!), ports[0]!);
    ours = await startProxy(parseConfig(config(ports[1]!, backends.ports.app!)));
  });

  afterAll(async () => {
    await ours?.close();
    await haproxy?.stop();
    await backends?.close();
  });

  /** The same requests to both proxies at once, one after another per proxy: statuses from HAProxy, then haplab. */
  async function both(requests: readonly string[], agents?: [http.Agent, http.Agent]): Promise<[number[], number[]]> {
    const run = async (k: 0 | 1) => {
      const out: number[] = [];
      for (const source of requests) out.push((await send(ports[k]!, { path: '/', source }, agents?.[k] ?? false)).status);
      return out;
    };
    return Promise.all([run(0), run(1)]);
  }

  it('a burst from one address: LIMIT answers, then 429, refused requests still counted', async () => {
    const [theirs, mine] = await both(new Array(LIMIT + 4).fill('127.0.20.1'));
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual([...new Array(LIMIT).fill(200), ...new Array(4).fill(429)]);
  });

  it('interleaved addresses are counted apart', async () => {
    const sources = ['127.0.20.2', '127.0.20.3', '127.0.20.4'];
    const order = Array.from({ length: LIMIT + 2 }, () => sources).flat();
    const [theirs, mine] = await both(order);
    expect(mine).toEqual(theirs);
    expect(theirs.filter((s) => s === 200)).toHaveLength(LIMIT * sources.length);
  });

  it('kept-alive requests are each counted (each request is its own stream)', async () => {
    const agents: [http.Agent, http.Agent] = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
    try {
      const [theirs, mine] = await both(new Array(LIMIT + 2).fill('127.0.20.5'), agents);
      expect(mine).toEqual(theirs);
      expect(theirs).toEqual([...new Array(LIMIT).fill(200), 429, 429]);
    } finally {
      agents.forEach((a) => a.destroy());
    }
  });

  it('the period slides: a burst still refuses just after its period, and is gone two periods on', async () => {
    const source = '127.0.20.6';
    const burst = 2 * LIMIT;
    const started = performance.now();
    const [firstTheirs, firstMine] = await both(new Array(burst).fill(source));
    // A quarter period into the next one, 3/4 of the burst still weighs: 1 + floor(8 × 0.75) > LIMIT.
    await sleep(started + 1.25 * PERIOD_MS - performance.now());
    const [slideTheirs, slideMine] = await both([source, source]);
    // Two periods after that second period began, both counts are gone.
    await sleep(started + 3 * PERIOD_MS + 150 - performance.now());
    const [resetTheirs, resetMine] = await both(new Array(LIMIT + 1).fill(source));
    expect([firstMine, slideMine, resetMine]).toEqual([firstTheirs, slideTheirs, resetTheirs]);
    expect(slideTheirs).toEqual([429, 429]);
    expect(resetTheirs).toEqual([...new Array(LIMIT).fill(200), 429]);
  });
});
