import type { Command } from 'commander';
import { Listr } from 'listr2';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BadInputError, ExitCode } from '../errors.js';
import { SPEC_FILE, writeLab } from '../render/lab.js';
import { parseRuntimeChoice, RUNTIME_CHOICES, runtimeForLab, selectRuntime, type SelectedRuntime } from '../runtime/select.js';
import type { LabInstance } from '../runtime/types.js';
import { catalogueIds, loadEpisode } from '../lab-schema/catalogue.js';
import { customizeSpec } from '../lab-schema/customize.js';
import { loadLabDirectorySpec } from '../lab-schema/load.js';
import type { ImageFlavor } from '../lab-schema/types.js';
import type { Report } from '../verify/report/types.js';
import { parseChaosMode } from '../verify/models/failover-judge.js';
import { parseProxyChoice, parseRequests, publishReport, verifyRunningLab } from './report-output.js';
import { prepareTask } from './prepare-task.js';
import { action } from './run-command.js';
import { JSON_OPTION, JSON_OPTION_HELP, progressRendering, QUIET_OPTION, QUIET_OPTION_HELP, say } from './output.js';
import { checkCatalogue, parseJobs, type CatalogueFlags } from './check-all/index.js';
import { renderTimings, StepClock } from './timings.js';

interface CheckFlags extends CatalogueFlags {
  runtime?: string;
  images?: string;
  keep?: boolean;
  all?: boolean;
  timings?: boolean;
}

interface CheckContext {
  dir: string;
  selected: SelectedRuntime;
  instance?: LabInstance;
  report?: Report;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .argument('[lab]', 'an episode id (ep09) or a lab directory (none with --all)')
    .description('new → up → verify → down (down always); exit 0 only if every check passed')
    .option('--all', 'every episode of the catalogue, several at once, then one summary and one report for all')
    .option('-j, --jobs <n>', 'with --all: labs at once, at most (default: the number of cores)')
    .option('--proxy <which>', 'haproxy | ts | both')
    .option('--runtime <which>', RUNTIME_CHOICES.join(' | '), 'auto')
    .option('--images <flavor>', 'official | offline: pin the base images (default: up chooses what this machine has or can make)')
    .option('--requests <n>', 'at least this many requests per check')
    .option('--seed <seed>', 'make the random parts repeatable')
    .option('--chaos [how]', 'also stop (or pause) one backend app mid-stream and judge the failover: stop | pause | both (bare: stop)')
    .option(JSON_OPTION, JSON_OPTION_HELP)
    .option('--junit <file>', 'write the report as JUnit XML')
    .option(QUIET_OPTION, QUIET_OPTION_HELP)
    .option('--html <file>', 'write the report as one self-contained HTML page')
    .option('-v, --verbose', 'the check table in full (no cell cut), every check\'s detail, every candidate\'s reason')
    .option('--timings', 'after the report, where each second went: every phase and each of its steps (on stderr)')
    .action(action(async (target: string | undefined, flags: CheckFlags) => {
      const proxy = parseProxyChoice(flags.proxy);
      parseRequests(flags.requests);
      parseChaosMode(flags.chaos); // a bad --chaos is refused before anything is built
      const choice = parseRuntimeChoice(flags.runtime);
      if (flags.all && target !== undefined) throw new BadInputError(`--all checks the whole catalogue, and ${JSON.stringify(target)} was given too`, { flag: '--all' }, 'drop one of them');
      if (flags.timings && flags.all) throw new BadInputError('--timings times one lab\'s check', { flag: '--timings' }, 'check one episode or lab directory with it, or drop it');
      if (flags.jobs !== undefined && !flags.all) throw new BadInputError('-j is for --all only', { flag: '-j' });
      if (flags.all) {
        parseJobs(flags.jobs);
        const images = flags.images ? parseImages(flags.images) : undefined;
        const selected = await selectRuntime(choice);
        say(`${selected.reason}\n`);
        return checkCatalogue(selected, flags, proxy, images);
      }
      if (target === undefined) throw new BadInputError('no lab given', { flag: 'LAB' }, `name an episode (${(await catalogueIds()).join(', ')}), a lab directory, or --all`);
      const isDir = existsSync(join(target, SPEC_FILE));
      if (!isDir && !(await catalogueIds()).includes(target)) {
        throw new BadInputError(`${JSON.stringify(target)} is neither an episode nor a lab directory`, { flag: 'LAB' }, `use one of: ${(await catalogueIds()).join(', ')}, or a directory made by haplab new`);
      }
      if (isDir) await loadLabDirectorySpec(resolve(target), target); // a broken lab.yaml is named before any runtime starts
      const selected = isDir ? await runtimeForLab(resolve(target), choice) : await selectRuntime(choice);
      say(`${selected.reason}\n`);
      const scratch = isDir ? undefined : await mkdtemp(join(tmpdir(), 'haplab-check-'));
      const ctx: CheckContext = { dir: isDir ? resolve(target) : join(scratch!, `${target}-check-${process.pid}`), selected };

      const clock = flags.timings ? new StepClock() : undefined;
      const stepped = (report: (s: string) => void) => (s: string) => { clock?.step(s); report(s); };
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        clock?.phase(isDir ? 'prepare' : 'new');
        await new Listr<CheckContext>([
          {
            title: `new ${target}`,
            enabled: () => !isDir,
            task: async (c, task) => {
              const images = flags.images ? parseImages(flags.images) : undefined;
              const spec = customizeSpec(await loadEpisode(target), { proxy, images });
              await writeLab(spec, c.dir);
              task.title = `new ${target}: ${spec.title} (proxy ${spec.proxy}${images ? `, ${images} images` : ''})`;
              clock?.phase('prepare');
            },
          },
          prepareTask<CheckContext>((c) => ({ runtime: c.selected.runtime, dir: c.dir }), controller.signal),
          {
            title: 'up',
            task: async (c, task) => {
              clock?.phase('up');
              c.instance = await c.selected.runtime.up(c.dir, { signal: controller.signal, onStep: stepped((s) => { task.output = s; }) });
              task.title = `up: lab ${c.instance.lab} on ${c.selected.runtime.kind}`;
            },
          },
          {
            title: 'verify',
            task: async (c, task) => {
              clock?.phase('verify');
              c.report = await verifyRunningLab(c.selected.runtime, c.instance!, { ...flags, proxy: isDir ? flags.proxy : undefined, weightChange: true }, stepped((s) => { task.output = s; }));
              task.title = `verify: ${c.report.verdict}`;
            },
          },
        ], { ctx, exitOnError: true, registerSignalListeners: false, rendererOptions: { showErrorMessage: false }, fallbackRenderer: 'simple', ...progressRendering() }).run();
      } catch (err) {
        // Ctrl-C, or a reader that went away (closed-output.ts): the lab is taken down below,
        // and the run ends as interrupted — a check cut short is not a pass.
        if (!controller.signal.aborted) throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        // A lab made here for an episode id has a one-off name: its images would never be used again.
        clock?.phase('down');
        await ctx.selected.runtime.down(ctx.dir, { images: Boolean(scratch) }).catch((err: unknown) => process.stderr.write(`haplab: down failed: ${String(err)}\n`));
        say(`down: lab ${ctx.instance?.lab ?? ctx.dir} removed\n`);
        if (scratch) await rm(scratch, { recursive: true, force: true });
        clock?.close();
      }
      if (controller.signal.aborted) return ExitCode.interrupted;
      const code = await publishReport(ctx.report!, flags);
      // Asked for by name, so printed even under --quiet; stderr keeps a --json stdout clean.
      if (clock) process.stderr.write(renderTimings(clock.result()));
      return code;
    }));
}

function parseImages(value: string): ImageFlavor {
  if (value === 'official' || value === 'offline') return value;
  throw new BadInputError(`unknown image flavor ${JSON.stringify(value)}`, { flag: '--images' }, 'use official or offline');
}
