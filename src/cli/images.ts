import type { Command } from 'commander';
import { Listr } from 'listr2';
import { baseImagePlan } from '../runtime/images/index.js';
import { action } from './run-command.js';

interface ImagesFlags {
  offline?: boolean;
  force?: boolean;
}

export function registerImagesCommand(program: Command): void {
  program
    .command('images')
    .description('make the base images present: pull the official ones, or build equivalents here with --offline')
    .option('--offline', 'build the images locally (debootstrap bookworm + the host\'s node), for machines without a registry')
    .option('--force', 'build or pull again even when the images are already there')
    .action(action(async (flags: ImagesFlags) => {
      const controller = new AbortController();
      const { where, steps } = await baseImagePlan({ offline: Boolean(flags.offline), force: flags.force, signal: controller.signal });
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      process.stdout.write(`docker: ${where}\n`);
      const started = performance.now();
      try {
        await new Listr(
          steps.map((step) => ({
            title: step.title,
            skip: () => step.skip(),
            task: async (_ctx: unknown, task: { output: string }) => {
              await step.run((line) => { task.output = line; });
            },
          })),
          { concurrent: false, exitOnError: true, registerSignalListeners: false, fallbackRenderer: 'simple' },
        ).run();
      } finally {
        process.off('SIGINT', onSigint);
      }
      process.stdout.write(`base images ready (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }));
}
