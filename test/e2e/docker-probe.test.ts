/**
 * The probe container on a real engine: 50 client addresses inside an ep07 (balance source,
 * hash-type consistent) lab, several fresh connections from each, every address sticks to
 * one server; an app can be stopped or paused and brought back; and ep04's source-address
 * ACLs see the very ranges they name, on an internal client network.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDockerRuntime, type DockerRuntime } from '../../src/runtime/docker/index.js';
import type { LabInstance, Prober, ProbeRequest } from '../../src/runtime/types.js';
import { describeDocker, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

describeDocker('docker runtime: probe from many client addresses (ep07, balance source)', () => {
  let runtime: DockerRuntime;
  let dir: string;
  let lab: LabInstance;
  let prober: Prober;

  beforeAll(async () => {
    ensureBuilt();
    runtime = await createDockerRuntime();
    dir = await writeEpisodeLab('ep07', 'e2e-ep07');
    lab = await runtime.up(dir);
    prober = await runtime.prober(lab);
  }, 300_000);

  afterAll(async () => {
    await prober?.close();
    await runtime?.down(dir, { images: true }).catch(() => undefined);
  });

  it('50 addresses, 4 fresh connections each: every address sticks to one server', async () => {
    const addresses = await prober.clientAddresses(50);
    expect(new Set(addresses).size).toBe(50);
    const requests: ProbeRequest[] = addresses.flatMap((sourceAddress) =>
      Array.from({ length: 4 }, () => ({ proxy: 'haproxy' as const, frontend: 'http_front', method: 'GET', path: '/', sourceAddress })));
    const responses = await prober.send(requests, { concurrency: 8 });
    expect(responses.filter((r) => r.status !== 200)).toEqual([]);
    const servers = new Map<string, Set<string>>();
    responses.forEach((r, i) => {
      const from = requests[i]!.sourceAddress!;
      if (!servers.has(from)) servers.set(from, new Set());
      servers.get(from)!.add(r.servedBy!);
    });
    expect([...servers.values()].filter((s) => s.size !== 1)).toEqual([]);
    // 50 keys over 3 equal servers: all three are used.
    expect(new Set([...servers.values()].map((s) => [...s][0]))).toEqual(new Set(['app1', 'app2', 'app3']));
  });

  it('asking again reuses the addresses already on the probe', async () => {
    const first = await prober.clientAddresses(50);
    const again = await (await runtime.prober(lab)).clientAddresses(10);
    expect(first.slice(0, 10)).toEqual(again);
  });

  it('refuses a range outside the probe network', async () => {
    // 198.51.100.0/24 is TEST-NET-2 (RFC 5737), in none of the engine's address pools. A
    // 192.168.x range was not safe: the engine hands its pools out in turn (172.18–31, then
    // 192.168.0.0/20 …), and a long-lived engine gave this lab 192.168.0.0/20 (CI run 23).
    await expect(prober.clientAddresses(2, '198.51.100.0/24')).rejects.toThrow(/198\.51\.100\.0\/24 were asked for, but lab e2e-ep07's probe network is \d/);
  });

  it('disrupt and resume an app: pause/unpause and stop/start', async () => {
    const state = async () => (await runtime.docker.listContainers({ all: true, filters: { label: ['io.haplab.lab=e2e-ep07', 'io.haplab.service=app2'] } }))[0]!.State;
    await runtime.disrupt(lab, 'app2', 'pause');
    expect(await state()).toBe('paused');
    await runtime.resume(lab, 'app2', 'pause');
    expect(await state()).toBe('running');
    await runtime.disrupt(lab, 'app2', 'stop');
    expect(await state()).toBe('exited');
    await runtime.resume(lab, 'app2', 'stop');
    expect(await state()).toBe('running');
  }, 60_000);

  it('down leaves nothing labelled', async () => {
    await runtime.down(dir, { images: true });
    expect(await labelledObjects(runtime.docker, 'e2e-ep07')).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});

describeDocker('docker runtime: source-address ACLs on an internal client network (ep04)', () => {
  let runtime: DockerRuntime;
  let dir: string;
  let lab: LabInstance;

  beforeAll(async () => {
    ensureBuilt();
    runtime = await createDockerRuntime();
    dir = await writeEpisodeLab('ep04', 'e2e-ep04');
    lab = await runtime.up(dir);
  }, 300_000);

  afterAll(async () => {
    await runtime?.down(dir, { images: true }).catch(() => undefined);
  });

  it('the client network has the spec\'s subnet and no route out', async () => {
    const [network] = await runtime.docker.listNetworks({ filters: { label: ['io.haplab.lab=e2e-ep04'], name: ['haplab-e2e-ep04-clients'] } });
    const info = await runtime.docker.getNetwork(network!.Id).inspect();
    expect(info.Internal).toBe(true);
    expect(info.IPAM?.Config?.[0]?.Subnet).toBe('192.168.0.0/20');
  });

  it('speaks from 192.168.1.x (denied), 192.168.10.x (admin allowed) and elsewhere', async () => {
    const prober = await runtime.prober(lab);
    const [blocked] = await prober.clientAddresses(1, '192.168.1.0/24');
    const [internal] = await prober.clientAddresses(1, '192.168.10.0/24');
    const [other] = await prober.clientAddresses(1, '192.168.2.0/24');
    expect(blocked).toMatch(/^192\.168\.1\./);
    const get = (frontend: string, path: string, sourceAddress?: string): ProbeRequest => ({ proxy: 'haproxy', frontend, method: 'GET', path, sourceAddress });
    const responses = await prober.send([
      get('block_front', '/', blocked), get('block_front', '/', other),
      get('admin_front', '/admin', internal), get('admin_front', '/admin', other),
    ]);
    expect(responses.map((r) => r.status)).toEqual([403, 200, 200, 403]);
    expect(responses[2]!.servedBy).toBe('admin-web');
    await prober.close();
  });
});
