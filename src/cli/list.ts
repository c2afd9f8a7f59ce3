import type { Command } from 'commander';
import { listCatalogue } from '../lab-schema/catalogue.js';
import { action } from './run-command.js';

export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('the episode catalogue: id, title, algorithm')
    .option('--json', 'print the catalogue as JSON')
    .action(action(async (opts: { json?: boolean }) => {
      const entries = await listCatalogue();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(entries.map(({ id, title, algorithm }) => ({ id, title, algorithm })), null, 2)}\n`);
        return;
      }
      const idWidth = Math.max(2, ...entries.map((e) => e.id.length));
      const titleWidth = Math.max(5, ...entries.map((e) => e.title.length));
      process.stdout.write(`${'ID'.padEnd(idWidth)}  ${'TITLE'.padEnd(titleWidth)}  ALGORITHM\n`);
      for (const e of entries) process.stdout.write(`${e.id.padEnd(idWidth)}  ${e.title.padEnd(titleWidth)}  ${e.algorithm}\n`);
    }));
}
