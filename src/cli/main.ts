#!/usr/bin/env node
/** haplab's command line: each command lives in its own file and only parses, calls and prints. */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
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

// Each command's module is loaded only when that command runs: together they pull in every
// runtime's and the verifier's libraries, ~1.5 s of loading that `haplab new` or a flag
// refused for bad input should not wait for. Help and an unknown command load them all.
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  list: async () => (await import('./list.js')).registerListCommand,
  new: async () => (await import('./new.js')).registerNewCommand,
  proxy: async () => (await import('./proxy.js')).registerProxyCommand,
  images: async () => (await import('./images.js')).registerImagesCommand,
  up: async () => (await import('./up.js')).registerUpCommand,
  down: async () => (await import('./down.js')).registerDownCommand,
  status: async () => (await import('./status.js')).registerStatusCommand,
  verify: async () => (await import('./verify.js')).registerVerifyCommand,
  check: async () => (await import('./check.js')).registerCheckCommand,
  identify: async () => (await import('./identify.js')).registerIdentifyCommand,
  doctor: async () => (await import('./doctor.js')).registerDoctorCommand,
  report: async () => (await import('./report.js')).registerReportCommand,
};

/** The command word: the first argument that is not an option (haplab has no global option taking a value). */
const named = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const versionOnly = named === undefined && process.argv.slice(2).some((arg) => arg === '-V' || arg === '--version');
const loading = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : versionOnly ? [] : Object.values(COMMANDS);
for (const register of await Promise.all(loading.map((load) => load()))) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; a wrong flag or argument is bad input.
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
  } else throw err;
}
