import type { Command } from 'commander';
import { EnvironmentError } from '../errors.js';
import { createDockerRuntime } from '../runtime/docker/index.js';
import { createLocalRuntime } from '../runtime/local/index.js';
import type { LabInstance } from '../runtime/types.js';
import { action } from './run-command.js';
import { printInstance } from './up.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('running labs and their endpoints')
    .option('--json', 'print the labs as JSON')
    .action(action(async (flags: { json?: boolean }) => {
      const labs: LabInstance[] = [];
      const skipped: string[] = [];
      try {
        const docker = await createDockerRuntime();
        labs.push(...(await docker.list()));
      } catch (err) {
        if (!(err instanceof EnvironmentError)) throw err;
        skipped.push(`docker: ${err.message}`);
      }
      labs.push(...(await createLocalRuntime().list()));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(labs.map(({ spec, ...rest }) => ({ ...rest, episode: spec.id })), null, 2)}\n`);
        return;
      }
      for (const s of skipped) process.stdout.write(`(${s})\n`);
      if (labs.length === 0) process.stdout.write('no labs running\n');
      for (const lab of labs) {
        process.stdout.write(`${lab.lab}  ${lab.spec.id}  ${lab.runtime}  ${lab.dir}\n`);
        printInstance(lab);
      }
    }));
}
