/**
 * Shared by the docker e2e files: the engine gate (skip loudly locally, FAIL in CI where
 * .ci/run must have started dockerd and built the offline images), fresh dist/ for the CLI
 * and the probe image, and labs written from the catalogue with offline images.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { writeLab } from '../../src/render/lab.js';
import { findEngine } from '../../src/runtime/docker/engine.js';
import { labelledObjects } from '../../src/runtime/docker/teardown.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { customizeSpec, type LabChoices } from '../../src/lab-schema/customize.js';
import { offlineImages } from '../../src/lab-schema/images.js';
import { describeWithTool, knownTool } from '../helpers/require-tool.js';
import { repoRoot } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

async function engineProblem(): Promise<string | undefined> {
  let docker: Docker;
  try {
    docker = (await findEngine()).docker;
  } catch (err) {
    return `no Docker engine answers (${err instanceof Error ? err.message : String(err)})`;
  }
  for (const image of Object.values(offlineImages())) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      return `the offline image ${image} is missing (run \`node dist/src/cli/main.js images --offline\`)`;
    }
  }
  return undefined;
}

/** .ci/run starts dockerd and runs `haplab images --offline` before the tests. */
export const DOCKER = knownTool('a Docker engine with the offline images', await engineProblem());

/** describe() on a real engine; in CI a missing engine is a failure, elsewhere a loud skip. */
export function describeDocker(name: string, body: () => void): void {
  describeWithTool(DOCKER, name, body);
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    if (!entry.endsWith(ext) || entry.includes('node_modules')) continue;
    newest = Math.max(newest, statSync(join(dir, entry)).mtimeMs);
  }
  return newest;
}

/** The CLI and the probe image come from dist/: rebuild it when src/ is newer (npm test builds first anyway). */
export function ensureBuilt(): void {
  const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  if (existsSync(main) && newestMtime(join(repoRoot, 'dist', 'src'), '.js') >= newestMtime(join(repoRoot, 'src'), '.ts')) return;
  try {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', repoRoot], { stdio: 'ignore', timeout: 240_000 });
  } catch {
    // Type errors elsewhere in the tree still emit JavaScript; a missing main.js is checked below.
  }
  if (!existsSync(main)) throw new Error(`${main} is missing after tsc`);
}

export async function engine(): Promise<Docker> {
  return (await findEngine()).docker;
}

/**
 * Host ports the e2e labs publish: the catalogue's plus this, so the tests neither collide
 * with a lab someone runs by hand on the usual ports nor are disturbed by one.
 */
export const E2E_PORT_SHIFT = 20_000;

/** A lab dir from the catalogue (offline images, shifted host ports), in a fresh temp dir named `name`. */
export async function writeEpisodeLab(episode: string, name: string, choices: LabChoices = {}): Promise<string> {
  const spec = customizeSpec(await loadEpisode(episode), { images: 'offline', ...choices });
  for (const f of spec.frontends) f.hostPort += E2E_PORT_SHIFT;
  const dir = join(await scratchDir('haplab-e2e-'), name);
  await writeLab(spec, dir);
  return dir;
}

export { labelledObjects };

/** Untagged images nothing stands on (`docker images --filter dangling=true`): what a build or a teardown may leave. */
export async function danglingImages(docker: Docker): Promise<string[]> {
  return (await docker.listImages({ filters: JSON.stringify({ dangling: ['true'] }) })).map((i) => i.Id);
}
