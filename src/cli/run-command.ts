/** How every command ends: one clear line and the contract's exit code (README.md). */
import { ExitCode, HaplabError } from '../errors.js';

export function printError(err: unknown): number {
  if (err instanceof HaplabError) {
    process.stderr.write(`haplab: ${err.oneLine()}\n`);
    return err.exitCode;
  }
  if (err instanceof Error && err.name === 'ExitPromptError') {
    process.stderr.write('haplab: cancelled\n');
    return ExitCode.interrupted;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`haplab: internal error: ${message}\n`);
  return ExitCode.environment;
}

/** Wraps a command's action so a thrown error becomes the one line and the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.ok;
    } catch (err) {
      process.exitCode = printError(err);
    }
  };
}
