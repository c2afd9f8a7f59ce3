import type { Command } from 'commander';
import { leftoversEverywhere, listEveryLab } from '../runtime/every.js';
import type { LabInstance, PartialLab, RuntimeKind } from '../runtime/types.js';
import { action } from './run-command.js';
import { printInstance } from './up.js';
import { JSON_OPTION, JSON_OPTION_HELP, say, writeJsonOutput, type OutputFlags } from './output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('running labs and their endpoints')
    .option(JSON_OPTION, JSON_OPTION_HELP)
    .action(action(async (flags: OutputFlags) => {
      const labs: LabInstance[] = [];
      const skipped: string[] = [];
      for (const answer of await listEveryLab()) {
        if ('skipped' in answer) skipped.push(`${answer.kind}: ${answer.skipped}`);
        else labs.push(...answer.result);
      }
      const partial: (PartialLab & { runtime: RuntimeKind })[] = [];
      for (const answer of await leftoversEverywhere()) if (!('skipped' in answer)) partial.push(...answer.result.map((p) => ({ ...p, runtime: answer.kind })));
      // The JSON is the running labs; the text below goes on as well (to stderr when the JSON has stdout).
      await writeJsonOutput(flags.json, `${JSON.stringify(labs.map(({ spec, ...rest }) => ({ ...rest, episode: spec.id })), null, 2)}\n`);
      for (const s of skipped) say(`(${s})\n`);
      if (labs.length === 0) say('no labs running\n');
      // What a lab left with nothing running around it, and the command that removes it.
      for (const p of partial) {
        const remove = p.dir ? `haplab down ${p.dir}` : 'haplab down --all';
        say(`partial lab ${p.lab} (${p.runtime}): ${p.what} — remove with \`${remove}\`\n`);
      }
      for (const lab of labs) {
        say(`${lab.lab}  ${lab.spec.id}  ${lab.runtime}  ${lab.dir}\n`);
        printInstance(lab);
      }
    }));
}
