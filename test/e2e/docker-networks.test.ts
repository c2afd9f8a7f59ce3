/**
 * On a real engine: a network the engine numbers itself never keeps a range it must leave
 * free (src/runtime/docker/network.ts: lab networks stay off the client range ep04 pins).
 * The engine's next pick cannot be steered, so the two halves of its default pools are
 * avoided in turn: whichever half its round is in, one of the two must walk past picks.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { offlineImages } from '../../src/lab-schema/images.js';
import { parseCidr, within } from '../../src/runtime/docker/addresses.js';
import { createNumberedNetwork } from '../../src/runtime/docker/network.js';
import { haplab } from './check-helpers.js';
import { describeDocker, engine, ensureBuilt, labelledObjects } from './docker-helpers.js';

const NAME = 'haplab-e2e-numbered';
const LABELS = { 'io.haplab.lab': 'e2e-numbered' };

describeDocker('docker runtime: networks the engine numbers stay off the client range', () => {
  let docker: Docker;
  const remove = async () => {
    for (const n of await docker.listNetworks({ filters: { label: ['io.haplab.lab=e2e-numbered'] } })) {
      await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
  };
  beforeAll(async () => {
    docker = await engine();
    await remove();
  });
  afterAll(async () => {
    if (docker) await remove();
  });

  it('walks past picks inside the range avoided and keeps one network outside it', async () => {
    const declined: string[] = [];
    for (const avoid of ['172.16.0.0/12', '192.168.0.0/16']) {
      const made = await createNumberedNetwork(docker, { Name: NAME, Driver: 'bridge', CheckDuplicate: true, Labels: LABELS }, [avoid]);
      expect(within(parseCidr(avoid), parseCidr(made.subnet)), `${made.subnet} inside ${avoid}`).toBe(false);
      for (const subnet of made.declined) expect(within(parseCidr(avoid), parseCidr(subnet)), `${subnet} declined`).toBe(true);
      // The declined networks are gone: one network by that name, on the subnet reported.
      const left = await docker.listNetworks({ filters: { label: ['io.haplab.lab=e2e-numbered'] } });
      expect(left.map((n) => [n.Name, n.IPAM?.Config?.[0]?.Subnet])).toEqual([[NAME, made.subnet]]);
      declined.push(...made.declined);
      await remove();
    }
    expect(declined.length).toBeGreaterThan(0);
  }, 120_000);
});

describeDocker('docker runtime: a lab network another container still joins', () => {
  const LAB = 'e2e-joined';
  const NETWORK = `haplab-${LAB}`;
  const STRANGER = 'haplab-e2e-joined-stranger';
  let docker: Docker;
  const removeAll = async () => {
    await docker.getContainer(STRANGER).remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(NETWORK).remove().catch(() => undefined);
    await docker.getVolume(`${NETWORK}-data`).remove().catch(() => undefined);
  };
  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    await removeAll();
  });
  afterAll(async () => {
    if (docker) await removeAll();
  });

  it('`down --all` removes the rest, leaves the network and the container it did not make, and says how to free it (exit 3)', async () => {
    const labels = { 'io.haplab.lab': LAB, 'io.haplab.role': 'network' };
    await docker.createNetwork({ Name: NETWORK, Driver: 'bridge', Labels: labels });
    await docker.createVolume({ Name: `${NETWORK}-data`, Labels: labels });
    // Not labelled: someone's own container, joined to the lab's network by hand.
    const stranger = await docker.createContainer({ name: STRANGER, Image: offlineImages().base, Cmd: ['sleep', 'infinity'], HostConfig: { NetworkMode: NETWORK } });
    await stranger.start();

    const down = await haplab(['down', '--all']);
    expect(down.code, down.stderr).toBe(3);
    const lines = down.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`network ${NETWORK} is still joined by ${STRANGER}`);
    expect(lines[0]).toContain(`docker network disconnect ${NETWORK} ${STRANGER}`);
    // The stranger is untouched and still running; the lab's volume went anyway.
    expect((await stranger.inspect()).State.Running).toBe(true);
    expect(await labelledObjects(docker, LAB)).toEqual({ containers: 0, networks: 1, volumes: 0 });

    // Once it is disconnected, the same command finishes the job.
    await docker.getNetwork(NETWORK).disconnect({ Container: STRANGER });
    const again = await haplab(['down', '--all']);
    expect(again.code, again.stderr).toBe(0);
    expect(await labelledObjects(docker, LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect((await stranger.inspect()).State.Running).toBe(true);
  }, 120_000);
});
