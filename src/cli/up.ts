import type { Command } from 'commander';
import { Listr } from 'listr2';
import { resolve } from 'node:path';
import { BadInputError, ExitCode } from '../errors.js';
import { parseRuntimeChoice, RUNTIME_CHOICES, selectRuntime } from '../runtime/select.js';
import type { LabInstance, UpOptions } from '../runtime/types.js';
import { loadLabDirectorySpec } from '../lab-schema/load.js';
import { prepareTask } from './prepare-task.js';
import { action } from './run-command.js';
import { progressRendering, say } from './output.js';

interface UpFlags {
  runtime?: string;
  timeout?: string;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .argument('<dir>', 'a lab directory (made by haplab new)')
    .description('build the lab\'s images and start it; prints its endpoints')
    .option('--runtime <which>', `${RUNTIME_CHOICES.join(' | ')} (auto: docker where an engine answers)`, 'auto')
    .option('--timeout <seconds>', 'how long the lab may take to answer once started', '90')
    .action(action(async (dir: string, flags: UpFlags) => {
      const timeout = Number(flags.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new BadInputError(`timeout ${JSON.stringify(flags.timeout)} is not a positive number of seconds`, { flag: '--timeout' });
      const choice = parseRuntimeChoice(flags.runtime);
      await loadLabDirectorySpec(resolve(dir), dir); // a missing or broken lab is named before any runtime starts
      const { runtime, reason } = await selectRuntime(choice);
      say(`${reason}\n`);

      // Ctrl-C: `up` removes what it made, then exits 130. A second Ctrl-C does not wait.
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(ExitCode.interrupted);
        process.stderr.write('\nhaplab: interrupted; removing what this up made (Ctrl-C again to quit now)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      let instance: LabInstance | undefined;
      try {
        await new Listr([prepareTask(() => ({ runtime, dir: resolve(dir) }), controller.signal), {
          title: `up ${dir}`,
          task: async (_ctx: unknown, task: { output: string; title: string }) => {
            const options: UpOptions = { signal: controller.signal, readyTimeoutMs: timeout * 1000, onStep: (step) => { task.output = step; } };
            instance = await runtime.up(resolve(dir), options);
            task.title = `lab ${instance.lab} is up (${runtime.kind})`;
          },
        }], { exitOnError: true, registerSignalListeners: false, fallbackRenderer: 'simple', rendererOptions: { showErrorMessage: false }, ...progressRendering() }).run();
      } catch (err) {
        // Ctrl-C, or a reader that went away (closed-output.ts): runtime.up removed what it
        // made before giving up; the run ends as interrupted, not as an internal error.
        if (!controller.signal.aborted) throw err;
      } finally {
        process.off('SIGINT', onSigint);
      }
      if (controller.signal.aborted) return ExitCode.interrupted;
      printInstance(instance!);
      say(`next: haplab verify ${dir}   ·   haplab down ${dir}\n`);
    }));
}

export function printInstance(instance: LabInstance): void {
  const rows = [
    ...instance.endpoints.map((e) => [e.proxy, e.frontend, e.mode, e.url]),
    ...instance.stats.map((s) => [s.proxy, 'stats', 'http', s.url.replace(/;csv$/, '')]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) say(`  ${r.slice(0, 3).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${r[3]}\n`);
  for (const note of instance.notes) say(`  note: ${note}\n`);
}
