import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { BadInputError, ExitCode } from '../errors.js';
import { writeHtmlReport } from '../verify/report/html/index.js';
import { readSavedReport } from '../verify/report/saved.js';
import { action } from './run-command.js';

/** `haplab report FILE.json --html OUT`: a saved JSON report (verify, check, check --all, identify) as a page. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .argument('<file>', 'a JSON report saved with --json (verify, check, check --all or identify)')
    .description('turn a saved JSON report into one self-contained HTML page')
    .requiredOption('--html <out>', 'the HTML file to write')
    .action(action(async (file: string, flags: { html: string }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new BadInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { flag: 'FILE' });
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new BadInputError(`${file} is not JSON: ${(err as Error).message}`, { flag: 'FILE' }, 'give the file a --json flag wrote');
      }
      const saved = readSavedReport(value);
      if (typeof saved === 'string') throw new BadInputError(`${file}: ${saved}`, { flag: 'FILE' }, 'give the file a --json flag of verify, check or identify wrote');
      await writeHtmlReport(flags.html, saved);
      process.stdout.write(`html: ${flags.html} (${saved.kind === 'suite' ? 'catalogue' : saved.kind} report, verdict ${verdictOf(saved)})\n`);
      return ExitCode.ok;
    }));
}

function verdictOf(saved: Exclude<ReturnType<typeof readSavedReport>, string>): string {
  if (saved.kind === 'identify') return saved.report.fits.length === 1 ? 'identified' : 'not identified';
  return saved.report.verdict;
}
