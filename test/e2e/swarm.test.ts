/**
 * Labs on a single-node Docker Swarm (`--runtime swarm`, src/runtime/swarm): `check ep09`
 * passes with apps, proxies and probe as services on an overlay network and haproxy.cfg as a
 * config object, and leaves nothing labelled; and with swarm mode on, a lab on the plain
 * docker runtime still passes and `auto` still picks docker. `up`, `status`, `verify` and
 * `down` of a lab directory, one by one, are test/e2e/swarm-nodes.test.ts's, on three nodes. The test makes the engine a swarm manager
 * itself when it is not one, and leaves the swarm at the end only if it made it: the
 * engine is shared with every other e2e file and the global teardown.
 */
import { basename } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { swarmObjects } from '../../src/runtime/swarm/objects.js';
import { describeDocker, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';
import { tail } from './check-helpers.js';

const TIMEOUT_MS = 300_000;
const cli = (args: string[]) => runCli(args, { timeoutMs: TIMEOUT_MS });

describeDocker('labs on a single-node swarm', () => {
  let docker: Docker;
  let initialised = false;
  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
    if (info.Swarm?.LocalNodeState !== 'active') {
      await docker.swarmInit({ ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' });
      initialised = true;
    }
  }, TIMEOUT_MS);
  afterAll(async () => {
    if (!initialised) return;
    await docker.swarmLeave({ force: true });
    // Joining a swarm made the engine's docker_gwbridge (a /20 of 192.168.x it keeps after
    // leaving): the engine goes back as it was.
    await docker.getNetwork('docker_gwbridge').remove().catch(() => undefined);
  });

  it('check ep09 --runtime swarm passes, and leaves nothing labelled on the swarm', async () => {
    const run = await cli(['check', 'ep09', '--runtime', 'swarm', '--images', 'offline', '--seed', '1', '--json']);
    expect(run.code, tail(run)).toBe(0);
    const report = JSON.parse(run.stdout) as { verdict: string; runtime: string; algorithm: string; lab: string; checks: { name: string; pass: boolean; skipped?: string }[] };
    expect(report).toMatchObject({ verdict: 'pass', runtime: 'swarm', algorithm: 'roundrobin' });
    // The stats page is not published to the host on a swarm: lbtot is read through the
    // proxy's runtime API (`show stat`) and judged, not skipped; and the order is judged.
    for (const name of ['stats.lbtot', 'rr.order', 'balance.candidates']) {
      expect(report.checks.find((c) => c.name === name), name).toMatchObject({ pass: true });
    }
    expect(run.stderr).toMatch(/^swarm runtime \(asked for\)/m);
    expect(run.stderr).not.toMatch(/down failed/);
    expect(await swarmObjects(docker, report.lab)).toEqual({ services: 0, configs: 0, networks: 0 });
    expect(await docker.listImages({ filters: { label: [`io.haplab.lab=${report.lab}`] } })).toEqual([]);
  }, TIMEOUT_MS);

  it('with swarm mode on, auto still picks docker and a docker lab passes', async () => {
    const dir = await writeEpisodeLab('ep09', 'swarm-mode-docker');
    try {
      const run = await cli(['check', dir, '--seed', '3']);
      expect(run.code, tail(run)).toBe(0);
      expect(run.stdout).toMatch(/^docker runtime: /m);
    } finally {
      await cli(['down', dir, '--images']);
    }
    expect(await labelledObjects(docker, basename(dir))).toEqual({ containers: 0, networks: 0, volumes: 0 });
  }, TIMEOUT_MS);
});
