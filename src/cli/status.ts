import type { Command } from 'commander';
import { leftoversEverywhere, listEveryLab } from '../runtime/every.js';
import type { LabInstance, PartialLab, RuntimeKind } from '../runtime/types.js';
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
      for (const answer of await listEveryLab()) {
        if ('skipped' in answer) skipped.push(`${answer.kind}: ${answer.skipped}`);
        else labs.push(...answer.result);
      }
      const partial: (PartialLab & { runtime: RuntimeKind })[] = [];
      for (const answer of await leftoversEverywhere()) if (!('skipped' in answer)) partial.push(...answer.result.map((p) => ({ ...p, runtime: answer.kind })));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(labs.map(({ spec, ...rest }) => ({ ...rest, episode: spec.id })), null, 2)}\n`);
        return;
      }
      for (const s of skipped) process.stdout.write(`(${s})\n`);
      if (labs.length === 0) process.stdout.write('no labs running\n');
      // What a lab left with nothing running around it, and the command that removes it.
      for (const p of partial) {
        const remove = p.dir ? `haplab down ${p.dir}` : 'haplab down --all';
        process.stdout.write(`partial lab ${p.lab} (${p.runtime}): ${p.what} — remove with \`${remove}\`\n`);
      }
      for (const lab of labs) {
        process.stdout.write(`${lab.lab}  ${lab.spec.id}  ${lab.runtime}  ${lab.dir}\n`);
        printInstance(lab);
      }
    }));
}
