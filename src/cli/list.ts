import type { Command } from 'commander';
import { listCatalogue } from '../lab-schema/catalogue.js';
import { action } from './run-command.js';
import { JSON_OPTION, JSON_OPTION_HELP, say, writeJsonOutput, type OutputFlags } from './output.js';

export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('the episode catalogue: id, title, algorithm')
    .option(JSON_OPTION, JSON_OPTION_HELP)
    .action(action(async (opts: OutputFlags) => {
      const entries = await listCatalogue();
      if (opts.json) {
        await writeJsonOutput(opts.json, `${JSON.stringify(entries.map(({ id, title, algorithm }) => ({ id, title, algorithm })), null, 2)}\n`);
        return;
      }
      const idWidth = Math.max(2, ...entries.map((e) => e.id.length));
      const titleWidth = Math.max(5, ...entries.map((e) => e.title.length));
      say(`${'ID'.padEnd(idWidth)}  ${'TITLE'.padEnd(titleWidth)}  ALGORITHM\n`);
      for (const e of entries) say(`${e.id.padEnd(idWidth)}  ${e.title.padEnd(titleWidth)}  ${e.algorithm}\n`);
    }));
}
