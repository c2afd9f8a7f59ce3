import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { downEveryLab, downLab } from '../runtime/every.js';
import type { TeardownReport } from '../runtime/types.js';
import { action } from './run-command.js';

interface DownFlags {
  all?: boolean;
  images?: boolean;
}

const removedText = (r: TeardownReport) => (r.removed ? `: removed ${r.removed}` : '');

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
      const reports = await downLab(abs, { images: flags.images });
      if (reports.length === 0) process.stdout.write(`no lab is up in ${abs}\n`);
      for (const r of reports) process.stdout.write(`took down lab ${r.labs.join(', ')} (${r.where})${removedText(r)}\n`);
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
  for (const answer of await downEveryLab({ images })) {
    if ('skipped' in answer) {
      process.stdout.write(`${answer.kind}: skipped (${answer.skipped})\n`);
      continue;
    }
    const r = answer.result;
    process.stdout.write(r.labs.length ? `${answer.kind} (${r.where}): took down ${r.labs.sort().join(', ')}${removedText(r)}\n` : `${answer.kind}: no haplab labs (${r.where})\n`);
  }
}
