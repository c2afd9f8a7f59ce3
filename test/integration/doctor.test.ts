/**
 * `haplab doctor` on this very machine: each line is checked against the fact found here
 * independently (haproxy -v, Python imports, the engine's own version, images and registry
 * asked through dockerode), and the engine discovery it reports is driven through
 * DOCKER_HOST and a Docker CLI context written for the test.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect } from 'vitest';
import { OFFICIAL_IMAGES, offlineImages } from '../../src/lab-schema/images.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { DIST, FLASK, HAPROXY, HAPROXY_BIN, WAITRESS, describeWithTool, itWithTool, knownTool } from '../helpers/require-tool.js';

const SOCKET = '/var/run/docker.sock';
async function socketEngineProblem(): Promise<string | undefined> {
  try {
    await new Docker({ socketPath: SOCKET }).ping();
    return undefined;
  } catch (err) {
    return `no engine answers at ${SOCKET} (${(err as Error).message})`;
  }
}
const ENGINE = knownTool(`a Docker engine at ${SOCKET}`, await socketEngineProblem());

/** PATH as a root shell has it: the local runtime finds haproxy on PATH. */
const env = { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin`, DOCKER_HOST: '', DOCKER_CONTEXT: '' };

function lineOf(result: CliResult, what: string): string {
  const found = result.stdout.split('\n').find((l) => new RegExp(`^\\S+\\s+${what}\\s{2}`).test(l));
  if (!found) throw new Error(`no "${what}" line in:\n${result.stdout}`);
  return found;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describeWithTool([DIST], 'haplab doctor on this machine', () => {
  let dockerConfig: string;
  beforeAll(async () => {
    dockerConfig = await mkdtemp(join(tmpdir(), 'haplab-doctor-'));
  });
  afterAll(async () => {
    await rm(dockerConfig, { recursive: true, force: true });
  });

  itWithTool([HAPROXY, FLASK, WAITRESS], 'the local runtime\'s tools and Node, as found independently; exit 0 (a lab can run)', async () => {
    const result = await runCli(['doctor'], { env, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const haproxyVersion = execFileSync(HAPROXY_BIN, ['-v']).toString().split('\n')[0]!.trim();
    expect(lineOf(result, 'haproxy')).toMatch(/^ok\s/);
    expect(lineOf(result, 'haproxy')).toContain(haproxyVersion);
    expect(lineOf(result, 'flask')).toMatch(/^ok\s+flask\s+Flask and waitress import in \/usr\/bin\/python3$/);
    expect(lineOf(result, 'node')).toContain(process.version);
    expect(result.stdout).toMatch(/^local runtime: ready: HAProxy and Flask run as processes on loopback$/m);
    expect(result.stdout).toMatch(/^a lab can run here: /m);
  }, 90_000);

  itWithTool([ENGINE], 'the engine, its images and the registry, as the engine itself says', async () => {
    const docker = new Docker({ socketPath: SOCKET });
    const version = (await docker.version()).Version;
    const has = async (image: string) => docker.getImage(image).inspect().then(() => true, () => false);
    const officialPresent = (await Promise.all(Object.values(OFFICIAL_IMAGES).map(has))).every(Boolean);
    const offlinePresent = (await Promise.all(Object.values(offlineImages()).map(has))).every(Boolean);
    const registryAnswers = await docker.getImage(OFFICIAL_IMAGES.python).distribution().then(() => true, () => false);

    const result = await runCli(['doctor', '--json'], { env, timeoutMs: 60_000 });
    const diagnosis = JSON.parse(result.stdout) as { lines: { what: string; status: string; found: string }[]; canRunLabs: boolean; runtimes: { docker: { ready: boolean } } };
    const found = (what: string) => diagnosis.lines.find((l) => l.what === what)!;
    expect(found('docker engine')).toEqual({ what: 'docker engine', status: 'ok', found: `Docker ${version} at unix://${SOCKET} (found via the system socket)` });
    expect(found('base images').found).toContain(`official (${Object.values(OFFICIAL_IMAGES).join(', ')}) ${officialPresent ? 'present' : 'absent'}`);
    expect(found('base images').found).toContain(`offline (${Object.values(offlineImages()).join(', ')}) ${offlinePresent ? 'present' : 'absent'}`);
    expect(found('registry').found).toMatch(registryAnswers ? /^reachable/ : /^not reachable: cannot pull python:3\.12-slim/);
    // Images present imply docker is ready.
    expect(diagnosis.runtimes.docker.ready || !(officialPresent || offlinePresent)).toBe(true);
    expect(diagnosis.canRunLabs).toBe(true);
    expect(result.code).toBe(0);
  }, 90_000);

  itWithTool([ENGINE], 'a Docker CLI context is followed and named; one that points nowhere is the missing line, with the local runtime still ready', async () => {
    const context = (name: string, host: string) => {
      const meta = join(dockerConfig, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
      return mkdir(meta, { recursive: true }).then(() => writeFile(join(meta, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } })));
    };
    await context('haplab-here', `unix://${SOCKET}`);
    await context('haplab-nowhere', `unix://${join(dockerConfig, 'absent.sock')}`);
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ currentContext: 'haplab-here' }));

    const here = await runCli(['doctor'], { env: { ...env, DOCKER_CONFIG: dockerConfig }, timeoutMs: 60_000 });
    expect(lineOf(here, 'docker engine')).toMatch(new RegExp(`^ok\\s+docker engine\\s+Docker \\S+ at unix://${SOCKET} \\(found via docker context haplab-here\\)$`));

    const nowhere = await runCli(['doctor'], { env: { ...env, DOCKER_CONFIG: dockerConfig, DOCKER_CONTEXT: 'haplab-nowhere' }, timeoutMs: 60_000 });
    expect(lineOf(nowhere, 'docker engine')).toMatch(/^MISSING\s+docker engine\s+no Docker engine answered at docker context haplab-nowhere \(unix:\/\/.*absent\.sock\) \(ENOENT\)$/);
    expect(nowhere.stdout).not.toMatch(/^\S+\s+registry/m);
    expect(nowhere.code).toBe(0);
  }, 90_000);

  itWithTool([], 'DOCKER_HOST pointing at nothing: named as where it looked, with the step to start one', async () => {
    const host = `tcp://127.0.0.1:${await closedPort()}`;
    const result = await runCli(['doctor', '--json'], { env: { ...env, DOCKER_HOST: host }, timeoutMs: 60_000 });
    const diagnosis = JSON.parse(result.stdout) as { lines: { what: string; status: string; found: string; next?: string }[]; runtimes: { docker: { ready: boolean; why: string } } };
    const engine = diagnosis.lines.find((l) => l.what === 'docker engine')!;
    expect(engine.status).toBe('missing');
    expect(engine.found).toBe(`no Docker engine answered at DOCKER_HOST=${host} (ECONNREFUSED)`);
    expect(engine.next).toMatch(/unset DOCKER_HOST/);
    expect(diagnosis.runtimes.docker).toEqual({ ready: false, why: 'no Docker engine answers' });
  }, 90_000);
});
