/**
 * The README's first command on a machine whose Docker engine answers but has no haplab base
 * images, no registry to pull them from, and no way to build haplab's offline ones (here: the
 * Debian mirror does not answer): `haplab check ep09` must still run (auto picks the local
 * runtime and says why in one line), not fail at the image build; asked for docker, it exits
 * 3 with that reason. (Where the offline images can be built, `up` builds them:
 * test/e2e/images-on-the-spot.test.ts.) The engine here
 * is a stand-in served on loopback (DOCKER_HOST), because the real one in CI has the offline
 * images built and cannot be made to lack them for one test; it answers the few calls this
 * decision makes exactly as an engine without registry access does.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
    // Nothing labelled: what `down` lists on an empty engine.
    if (url.includes('/containers/json') || url.includes('/networks')) return json(200, []);
    if (url.includes('/volumes')) return json(200, { Volumes: [] });
    if (url.includes('/images/create') || url.includes('/distribution/')) {
      return json(500, { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host' });
    }
    json(404, { message: `not served here: ${req.method} ${url}` });
  });
}

describeWithTool([DIST], 'auto runtime on an engine that cannot build labs', () => {
  let engine: http.Server;
  let host: string;
  let state: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    engine = imagelessEngine();
    await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
    host = `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}`;
    state = await mkdtemp(join(tmpdir(), 'haplab-auto-'));
    env = { DOCKER_HOST: host, XDG_STATE_HOME: state, HAPLAB_DEBIAN_MIRROR: `http://127.0.0.1:${await closedPort()}/debian` };
  });
  afterAll(async () => {
    await new Promise<void>((r) => engine.close(() => r()));
    await rm(state, { recursive: true, force: true });
  });

  itWithTool([HAPROXY, FLASK], 'check ep09 runs on the local runtime, saying why in one line, and passes', async () => {
    const result = await runCli(['check', 'ep09'], { env, timeoutMs: 180_000 });
    const first = result.stdout.split('\n')[0]!;
    expect(first).toMatch(/^local runtime: the Docker engine .* answers but has no haplab base images, cannot pull python:3\.12-slim \(.*no such host\)/);
    expect(first).toMatch(/and cannot build haplab's offline images here: the Debian mirror http:\/\/127\.0\.0\.1:\d+\/debian does not answer \(ECONNREFUSED\)/);
    expect(first).toMatch(/— .*HAPLAB_DEBIAN_MIRROR/);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 200_000);

  it('check ep09 --runtime docker: exit 3 with the same reason, in one line', async () => {
    const result = await runCli(['check', 'ep09', '--runtime', 'docker'], { env, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(3);
    // The progress list marks its failed task; the error itself is one line.
    const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('haplab:'));
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^haplab: the Docker engine \(docker: tcp:\/\/127\.0\.0\.1:\d+\) has no haplab base images, cannot pull python:3\.12-slim .* and cannot build haplab's offline images here: the Debian mirror .* does not answer/);
  }, 90_000);
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
