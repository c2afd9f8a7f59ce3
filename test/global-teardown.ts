/**
 * Before the whole suite: one scratch directory for the run (test/helpers/scratch.ts).
 * After it: that directory is removed with all in it, and nothing haplab made may be left —
 * no container, network or volume labelled io.haplab.lab on the engine, no image of a lab
 * the suite built (labelled, and not
 * on the engine when the suite started: the base images and a developer's own labs stay),
 * no untagged image nothing stands on that was not there before (a build step's layer),
 * and no process carrying the local runtime's marker. In CI a leftover fails the run;
 * elsewhere (where a developer may have labs of their own up) it is a loud warning.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's scratch directory (test/helpers/scratch.ts): removed, with all in it, when the run ends. */
    scratchRoot: string;
  }
}

const LABEL = 'io.haplab.lab';

const engine = (): Docker => new Docker(process.env.DOCKER_HOST ? undefined : { socketPath: '/var/run/docker.sock' });

/** Lab images on the engine before the suite ran: not the suite's to judge. */
let imagesBefore: Set<string> | undefined;
/** Untagged images nothing stands on, before the suite ran (a build's or teardown's leftovers are judged after). */
let danglingBefore: Set<string> | undefined;

async function danglingImages(docker: Docker): Promise<string[]> {
  return (await docker.listImages({ filters: JSON.stringify({ dangling: ['true'] }) })).map((i) => i.Id);
}

async function labImages(docker: Docker): Promise<{ id: string; tags: string[] }[]> {
  const images = await docker.listImages({ filters: JSON.stringify({ label: [LABEL] }) });
  return images.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [] }));
}

/** Where this run's tests write their labs and state: one directory, removed at the end. */
let scratchRoot: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  scratchRoot = mkdtempSync(join(tmpdir(), 'haplab-test-run-'));
  project.provide('scratchRoot', scratchRoot);
  const docker = engine();
  try {
    await docker.ping();
    imagesBefore = new Set((await labImages(docker)).map((i) => i.id));
    danglingBefore = new Set(await danglingImages(docker));
  } catch {
    imagesBefore = undefined;
    danglingBefore = undefined;
  }
}

async function dockerLeftovers(): Promise<string[]> {
  const docker = engine();
  try {
    await docker.ping();
  } catch {
    return [];
  }
  const filters = JSON.stringify({ label: [LABEL] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  return [
    ...containers.map((c) => `container ${c.Names.join(',')} (${c.Labels[LABEL]})`),
    ...networks.map((n) => `network ${n.Name}`),
    ...volumes.map((v) => `volume ${v.Name}`),
    ...(imagesBefore ? (await labImages(docker)).filter((i) => !imagesBefore!.has(i.id)).map((i) => `image ${i.tags.join(',') || i.id.slice(7, 19)}`) : []),
    ...(danglingBefore ? (await danglingImages(docker)).filter((id) => !danglingBefore!.has(id)).map((id) => `untagged image ${id.slice(7, 19)} (a build layer nothing uses)`) : []),
  ];
}

function localLeftovers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (env.includes('HAPLAB_LOCAL_RUN=')) found.push(`process ${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

export async function teardown(): Promise<void> {
  // Every lab a test wrote under the run's scratch directory goes, whatever the verdict.
  if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
  // The pure group of `npm test` (scripts/test.ts) makes no lab and ends while the labs group
  // still runs some: that group, which ends last, judges the machine.
  if (process.env.HAPLAB_TEST_LEFTOVERS === 'not-judged') return;
  const left = [...(await dockerLeftovers()), ...localLeftovers()];
  if (left.length === 0) return;
  const message = `haplab left ${left.length} thing(s) behind after the test suite:\n  ${left.join('\n  ')}`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(message);
  console.warn(`\n!!! ${message}\n`);
}
