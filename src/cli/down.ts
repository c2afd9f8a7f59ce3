import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BadInputError, EnvironmentError } from '../errors.js';
import { createDockerRuntime } from '../runtime/docker/index.js';
import type { Removed } from '../runtime/docker/teardown.js';
import { createLocalRuntime } from '../runtime/local/index.js';
import { readLabState } from '../runtime/state.js';
import { action } from './run-command.js';

interface DownFlags {
  all?: boolean;
  images?: boolean;
}

function summary(removed: Removed): string {
  const parts = [`${removed.containers} containers`, `${removed.networks} networks`, `${removed.volumes} volumes`];
  if (removed.images) parts.push(`${removed.images} images`);
  return parts.join(', ');
}

export function registerDownCommand(program: Command): void {
  program
    .command('down')
    .argument('[dir]', 'the lab directory to take down')
    .description('remove every container, network and volume the lab (or, with --all, any lab) created; nothing else')
    .option('--all', 'take down every lab haplab started, on Docker and as local processes')
    .option('--images', 'also remove the images built for the lab(s) (base images stay)')
    .action(action(async (dir: string | undefined, flags: DownFlags) => {
      if (flags.all && dir) throw new BadInputError('give a lab directory or --all, not both', { flag: '--all' });
      if (!flags.all && !dir) throw new BadInputError('no lab directory given', {}, 'run `haplab down DIR`, or `haplab down --all` for every lab');
      if (flags.all) return downAll(Boolean(flags.images));
      const abs = resolve(dir!);
      await assertExistingDirectory(abs);
      const state = await readLabState(abs).catch(() => undefined);
      if (state?.runtime === 'local') {
        await createLocalRuntime().down(abs);
        process.stdout.write(`took down lab ${state.lab} (local processes)\n`);
        return;
      }
      // No state: an `up` may have been killed before writing it. A local run registers
      // itself first, so ask the local runtime too (it does nothing when there is none).
      if (!state) await createLocalRuntime().down(abs);
      // docker by the state file, or (no state: an `up` killed before writing it) by label.
      let docker;
      try {
        docker = await createDockerRuntime();
      } catch (err) {
        if (state?.runtime === 'docker' || !(err instanceof EnvironmentError)) throw err;
        process.stdout.write(`no lab is up in ${abs}\n`);
        return;
      }
      const removed = await docker.downWithReport(abs, { images: flags.images });
      const lab = [...removed.labs][0] ?? state?.lab;
      process.stdout.write(lab ? `took down lab ${lab} (${docker.describe()}): removed ${summary(removed)}\n` : `no lab is up in ${abs}\n`);
    }));
}

/**
 * `down` must work on a damaged lab (its lab.yaml broken or gone) to clean up, so only a
 * path that is not a directory at all is refused: that is a typo, not a lab to take down.
 */
async function assertExistingDirectory(abs: string): Promise<void> {
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new BadInputError(`no lab directory at ${abs}: the path does not exist`, {}, 'check the path (haplab status lists running labs; haplab down --all takes every lab down)');
  if (!info.isDirectory()) throw new BadInputError(`${abs} is a file, not a lab directory`, {}, 'give the directory `haplab new` wrote (haplab status lists running labs)');
}

async function downAll(images: boolean): Promise<void> {
  const out = process.stdout;
  try {
    const docker = await createDockerRuntime();
    const removed = await docker.downAllWithReport({ images });
    const labs = [...removed.labs].sort();
    out.write(labs.length ? `docker (${docker.describe()}): took down ${labs.join(', ')}: removed ${summary(removed)}\n` : `docker: no haplab labs (${docker.describe()})\n`);
  } catch (err) {
    if (!(err instanceof EnvironmentError)) throw err;
    out.write(`docker: skipped (${err.message})\n`);
  }
  const local = await createLocalRuntime().downAll();
  out.write(local.length ? `local: took down ${local.sort().join(', ')}\n` : 'local: no haplab labs\n');
}
