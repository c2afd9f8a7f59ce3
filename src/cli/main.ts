#!/usr/bin/env node
/** haplab's command line: each command lives in its own file and only parses, calls and prints. */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { registerListCommand } from './list.js';
import { registerNewCommand } from './new.js';
import { registerProxyCommand } from './proxy.js';
import { registerImagesCommand } from './images.js';
import { registerUpCommand } from './up.js';
import { registerDownCommand } from './down.js';
import { registerStatusCommand } from './status.js';
import { registerVerifyCommand } from './verify.js';
import { registerCheckCommand } from './check.js';
import { registerIdentifyCommand } from './identify.js';
import { registerDoctorCommand } from './doctor.js';
import { registerReportCommand } from './report.js';
import { watchClosedOutput } from './closed-output.js';
import { configureOutput } from './output.js';

watchClosedOutput();

const program = new Command();
program
  .name('haplab')
  .description('Scaffold, run and prove HAProxy load-balancing labs.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  // --json [FILE] and --quiet decide where every command's text goes (output.ts), before it prints.
  .hook('preAction', (_program, command) => {
    const { json, quiet } = command.opts<{ json?: string | boolean; quiet?: boolean }>();
    configureOutput({ json, quiet });
  });

registerListCommand(program);
registerNewCommand(program);
registerProxyCommand(program);
registerImagesCommand(program);
registerUpCommand(program);
registerDownCommand(program);
registerStatusCommand(program);
registerVerifyCommand(program);
registerCheckCommand(program);
registerIdentifyCommand(program);
registerDoctorCommand(program);
registerReportCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; a wrong flag or argument is bad input.
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
  } else throw err;
}
