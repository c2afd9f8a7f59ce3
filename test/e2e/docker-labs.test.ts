/**
 * ep09 (HAProxy and haplab's TypeScript proxy side by side) and ep03 on a real engine
 * (offline images): the Flask apps answer through the proxies on 127.0.0.1, `up` again
 * changes nothing, another lab wanting the same ports is refused with the holder's name,
 * and `down` leaves nothing labelled.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createDockerRuntime, type DockerRuntime } from '../../src/runtime/docker/index.js';
import type { LabInstance } from '../../src/runtime/types.js';
import { readLabState } from '../../src/runtime/state.js';
import { runCli } from '../helpers/cli.js';
import { describeDocker, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

async function get(url: string): Promise<{ status: number; servedBy: string | null; body: string }> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  return { status: res.status, servedBy: res.headers.get('x-served-by'), body: await res.text() };
}

describeDocker('docker runtime: ep09 and ep03 through the proxies', () => {
  let runtime: DockerRuntime;
  let ep09Dir: string;
  let ep03Dir: string;
  let ep09: LabInstance;
  let ep03: LabInstance;

  beforeAll(async () => {
    ensureBuilt();
    runtime = await createDockerRuntime();
    ep09Dir = await writeEpisodeLab('ep09', 'e2e-ep09', { proxy: 'both' });
    ep03Dir = await writeEpisodeLab('ep03', 'e2e-ep03');
    ep09 = await runtime.up(ep09Dir);
    ep03 = await runtime.up(ep03Dir);
  }, 300_000);

  afterAll(async () => {
    await runtime?.down(ep09Dir, { images: true }).catch(() => undefined);
    await runtime?.down(ep03Dir, { images: true }).catch(() => undefined);
  });

  it.each(['haproxy', 'ts'] as const)('ep09: all three apps answer through %s on 127.0.0.1, 2:1:3 in a cycle of 6', async (proxy) => {
    const endpoint = ep09.endpoints.find((e) => e.proxy === proxy)!;
    expect(endpoint.host).toBe('127.0.0.1');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await get(`${endpoint.url}/`));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const counts: Record<string, number> = {};
    for (const a of answers) counts[a.servedBy!] = (counts[a.servedBy!] ?? 0) + 1;
    expect(counts).toEqual({ app1: 2, app2: 1, app3: 3 });
    expect(new Set(answers.map((a) => a.body))).toEqual(new Set(['Hello from Flask App 1!', 'Hello from Flask App 2!', 'Hello from Flask App 3!']));
  });

  it('ep09: each proxy\'s stats CSV is published', async () => {
    expect(ep09.stats.map((s) => s.proxy)).toEqual(['haproxy', 'ts']);
    for (const s of ep09.stats) {
      const csv = await get(s.url);
      expect(csv.status).toBe(200);
      expect(csv.body).toMatch(/servers,server3,/);
    }
  });

  it('ep03: /static/logo.png comes from the static app, / from the dynamic app', async () => {
    const url = ep03.endpoints[0]!.url;
    const logo = await get(`${url}/static/logo.png`);
    expect(logo).toMatchObject({ status: 200, servedBy: 'static-app' });
    expect(logo.body).toContain('FitGuru logo');
    const home = await get(`${url}/`);
    expect(home).toEqual({ status: 200, servedBy: 'dynamic-app', body: 'Welcome to FitGuru!' });
  });

  it('records the runtime in .haplab/state.json and lists the labs in status', async () => {
    expect(await readLabState(ep09Dir)).toMatchObject({ runtime: 'docker', lab: 'e2e-ep09', phase: 'running' });
    const labs = (await runtime.list()).map((l) => l.lab);
    expect(labs).toEqual(expect.arrayContaining(['e2e-ep09', 'e2e-ep03']));
    const status = await runCli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('e2e-ep09');
    expect(status.stdout).toContain(ep09.endpoints[0]!.url);
  });

  it('up on a running lab changes nothing', async () => {
    const before = await runtime.docker.listContainers({ filters: { label: ['io.haplab.lab=e2e-ep09'] } });
    const again = await runtime.up(ep09Dir);
    const after = await runtime.docker.listContainers({ filters: { label: ['io.haplab.lab=e2e-ep09'] } });
    expect(again.notes).toContain('already running; nothing changed');
    expect(after.map((c) => `${c.Id}@${c.Created}`).sort()).toEqual(before.map((c) => `${c.Id}@${c.Created}`).sort());
  });

  it('a second lab wanting the same host port: exit 3 naming the port and the lab that holds it', async () => {
    const copy = join(dirname(ep09Dir), 'e2e-ep09-copy');
    await cp(ep09Dir, copy, { recursive: true, filter: (f) => !f.includes('.haplab') });
    try {
      const result = await runCli(['up', copy, '--runtime', 'docker']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`127.0.0.1:${ep09.endpoints[0]!.port} is in use by haplab lab e2e-ep09`);
      expect(await labelledObjects(runtime.docker, 'e2e-ep09-copy')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('down removes every labelled container, network and volume of the lab, and its state file', async () => {
    await runtime.down(ep09Dir, { images: true });
    expect(await labelledObjects(runtime.docker, 'e2e-ep09')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(await readLabState(ep09Dir)).toBeUndefined();
    const cli = await runCli(['down', ep03Dir, '--images']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/took down lab e2e-ep03/);
    expect(await labelledObjects(runtime.docker, 'e2e-ep03')).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
