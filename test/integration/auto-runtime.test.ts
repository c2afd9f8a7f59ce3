/**
 * The README's first command on a machine whose Docker engine answers but has no haplab base
 * images and no registry to pull them from: `haplab check ep09` must still run (auto picks
 * the local runtime and says why in one line), not fail at the image build. The engine here
 * is a stand-in served on loopback (DOCKER_HOST), because the real one in CI has the offline
 * images built and cannot be made to lack them for one test; it answers the few calls this
 * decision makes exactly as an engine without registry access does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DIST, FLASK, HAPROXY, describeWithTool, itWithTool } from '../helpers/require-tool.js';

/** An engine with no images whose pulls fail as they do with no registry reachable. */
function imagelessEngine(): http.Server {
  return http.createServer((req, res) => {
    const url = req.url ?? '';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.includes('/_ping')) { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('OK'); return; }
    if (/\/images\/.+\/json/.test(url)) return json(404, { message: 'No such image' });
    if (url.includes('/images/json')) return json(200, []);
    if (url.includes('/images/create')) {
      return json(500, { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host' });
    }
    json(404, { message: `not served here: ${req.method} ${url}` });
  });
}

describeWithTool([DIST], 'auto runtime on an engine that cannot build labs', () => {
  let engine: http.Server;
  let host: string;
  let state: string;
  beforeAll(async () => {
    engine = imagelessEngine();
    await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
    host = `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}`;
    state = await mkdtemp(join(tmpdir(), 'haplab-auto-'));
  });
  afterAll(async () => {
    await new Promise<void>((r) => engine.close(() => r()));
    await rm(state, { recursive: true, force: true });
  });

  itWithTool([HAPROXY, FLASK], 'check ep09 runs on the local runtime, saying why in one line, and passes', async () => {
    const result = await runCli(['check', 'ep09'], { env: { DOCKER_HOST: host, XDG_STATE_HOME: state }, timeoutMs: 180_000 });
    const first = result.stdout.split('\n')[0]!;
    expect(first).toMatch(/^local runtime: the Docker engine .* answers, but it has no haplab base images and cannot pull python:3\.12-slim/);
    expect(first).toMatch(/haplab images --offline/);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 200_000);
});
