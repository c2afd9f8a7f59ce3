/**
 * On a real engine: a network the engine numbers itself never keeps a range it must leave
 * free (src/runtime/docker/network.ts: lab networks stay off the client range ep04 pins).
 * The engine's next pick cannot be steered, so the two halves of its default pools are
 * avoided in turn: whichever half its round is in, one of the two must walk past picks.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCidr, within } from '../../src/runtime/docker/addresses.js';
import { createNumberedNetwork } from '../../src/runtime/docker/network.js';
import { describeDocker, engine } from './docker-helpers.js';

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
