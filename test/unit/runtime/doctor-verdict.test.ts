/**
 * `haplab doctor`'s judgement (src/runtime/doctor/verdict.ts) from injected facts: which
 * runtime can run a lab, the status and next step of each line, and the exit decision;
 * and the Node range check it uses (node-range.ts).
 */
import { describe, expect, it } from 'vitest';
import type { DoctorFacts } from '../../../src/runtime/doctor/facts.js';
import { satisfiesNodeRange } from '../../../src/runtime/doctor/node-range.js';
import { diagnose, type Diagnosis } from '../../../src/runtime/doctor/verdict.js';

const noRegistry = { reason: 'cannot pull python:3.12-slim (no such host)', fix: 'give the engine a registry' };

/** A machine with everything: engine, registry, official images, debootstrap, HAProxy, Flask. */
function healthy(): DoctorFacts {
  return {
    node: { version: 'v22.11.0', range: '>=20.10' },
    engine: { where: 'unix:///var/run/docker.sock', how: 'the system socket', version: '26.1.5' },
    images: { official: true, offline: false, officialNames: ['python:3.12-slim'], offlineNames: ['haplab/bookworm-base:2'] },
    registry: 'reachable',
    offlineBuild: undefined,
    haproxy: { path: '/usr/sbin/haproxy', version: 'HAProxy version 2.6.12' },
    flask: { python: '/usr/bin/python3' },
    compiled: {},
  };
}

const line = (d: Diagnosis, what: string) => d.lines.find((l) => l.what === what)!;

describe('doctor verdict', () => {
  it('everything there: every line ok, both runtimes ready, docker suggested', async () => {
    const d = await diagnose(healthy());
    expect(d.lines.map((l) => [l.what, l.status])).toEqual([
      ['node', 'ok'], ['docker engine', 'ok'], ['registry', 'ok'], ['base images', 'ok'], ['debootstrap', 'ok'], ['haproxy', 'ok'], ['flask', 'ok'],
    ]);
    expect(d.lines.every((l) => l.next === undefined)).toBe(true);
    expect(line(d, 'docker engine').found).toBe('Docker 26.1.5 at unix:///var/run/docker.sock (found via the system socket)');
    expect(d.canRunLabs).toBe(true);
    expect(d.next).toMatch(/haplab check ep09.*docker/);
  });

  it('no registry, no images, debootstrap usable: docker still ready, the images line says they are built once', async () => {
    const d = await diagnose({ ...healthy(), registry: noRegistry, images: { ...healthy().images!, official: false } });
    expect(line(d, 'registry')).toMatchObject({ status: 'warn', next: expect.stringMatching(/builds haplab's offline images once/) });
    expect(line(d, 'base images')).toMatchObject({ status: 'warn', next: expect.stringMatching(/haplab images --offline/) });
    expect(d.runtimes.docker).toEqual({ ready: true, why: expect.stringMatching(/offline base images are built first/) });
  });

  it('no registry, no images, no debootstrap: docker not ready with both reasons; local still runs the lab (exit 0)', async () => {
    const d = await diagnose({
      ...healthy(), registry: noRegistry, images: { ...healthy().images!, official: false },
      offlineBuild: { reason: 'debootstrap is not installed', fix: 'install it (`sudo apt-get install debootstrap`)' },
    });
    expect(line(d, 'base images').status).toBe('missing');
    expect(line(d, 'debootstrap')).toMatchObject({ status: 'warn', next: 'install it (`sudo apt-get install debootstrap`)' });
    expect(d.runtimes.docker.ready).toBe(false);
    expect(d.runtimes.docker.why).toMatch(/cannot pull python:3\.12-slim.*debootstrap is not installed/);
    expect(d.runtimes.local.ready).toBe(true);
    expect(d.canRunLabs).toBe(true);
    expect(d.next).toMatch(/local runtime/);
  });

  it('no engine, no HAProxy, no Flask: the local runtime runs with substitutes and says which', async () => {
    const d = await diagnose({
      ...healthy(), engine: { problem: 'no Docker engine answered at /var/run/docker.sock (ENOENT)', fix: 'start one' },
      images: undefined, registry: undefined,
      haproxy: { problem: 'haproxy is not on PATH' }, flask: { problem: 'Flask does not import' },
    });
    expect(line(d, 'docker engine')).toMatchObject({ status: 'missing', next: 'start one' });
    expect(d.lines.map((l) => l.what)).not.toContain('registry');
    expect(line(d, 'haproxy')).toMatchObject({ status: 'warn', next: expect.stringMatching(/apt-get install haproxy/) });
    expect(d.runtimes.local.why).toMatch(/TypeScript proxy plays HAProxy's part; haplab's Node replicas play the Flask apps/);
    expect(d.canRunLabs).toBe(true);
  });

  it('Flask without waitress: a warning naming python3-waitress', async () => {
    const d = await diagnose({ ...healthy(), flask: { python: '/usr/bin/python3', noWaitress: "No module named 'waitress'" } });
    expect(line(d, 'flask')).toMatchObject({ status: 'warn', next: expect.stringMatching(/python3-waitress/) });
  });

  it('no engine and a Node outside the range: no lab can run (exit 3), and the node line says what to install', async () => {
    const d = await diagnose({ ...healthy(), node: { version: 'v18.20.0', range: '>=20.10' }, engine: { problem: 'no Docker engine answered' }, images: undefined, registry: undefined });
    expect(line(d, 'node')).toMatchObject({ status: 'missing', next: expect.stringMatching(/>=20\.10/) });
    expect(d.canRunLabs).toBe(false);
    expect(d.next).toMatch(/fix a line above/);
  });

  it('no engine and haplab not built: no lab can run', async () => {
    const d = await diagnose({ ...healthy(), engine: { problem: 'no Docker engine answered' }, images: undefined, registry: undefined, compiled: { problem: 'dist/src/proxy/main.js missing' } });
    expect(line(d, "haplab's build")).toMatchObject({ status: 'missing', next: expect.stringMatching(/npm run build/) });
    expect(d.canRunLabs).toBe(false);
  });
});

describe('satisfiesNodeRange', () => {
  it.each([
    ['v20.10.0', '>=20.10', true], ['v20.9.0', '>=20.10', false], ['v24.1.0', '>=20.10', true],
    ['v22.3.0', '^20.19 || ^22.12 || >=24', false], ['v22.12.0', '^20.19 || ^22.12 || >=24', true], ['v21.0.0', '^20.19 || ^22.12 || >=24', false],
    ['v24.0.0', '>=20 <25', true], ['v25.0.0', '>=20 <25', false], ['v20.1.0', '20.x', true], ['v22.1.0', '20.x', false],
    ['v20.11.1', '>= 20.10', true], ['v19.0.0', '*', true],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(satisfiesNodeRange(version, range)).toBe(expected);
  });
});
