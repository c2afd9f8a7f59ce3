/**
 * `haplab check --all`: every episode of the catalogue, new → up → verify → down each, as
 * many at once as -j allows (default: the machine's cores) and as their ports allow
 * (schedule.ts), then one summary table and one report (--json, --junit, --html) for all.
 * Exit 0 only when every lab ran and passed.
 */
import { Listr } from 'listr2';
import { availableParallelism } from 'node:os';
import { BadInputError, ExitCode } from '../../errors.js';
import { catalogueIds } from '../../lab-schema/catalogue.js';
import type { ImageFlavor, ProxyChoice } from '../../lab-schema/types.js';
import type { SelectedRuntime } from '../../runtime/select.js';
import { writeHtmlReport } from '../../verify/report/html/index.js';
import { reportToJson } from '../../verify/report/json.js';
import { writeJunitReport } from '../../verify/report/junit.js';
import { renderSummary, seconds, suiteVerdict, type SuiteLab, type SuiteReport } from '../../verify/report/suite.js';
import { terminalWidth, type VerifyFlags } from '../report-output.js';
import { progressRendering, say, sayVerdict, writeJsonOutput } from '../output.js';
import { episodeSpec, labResources, needsMachineAlone, runEpisode } from './run-lab.js';
import { runScheduled } from './schedule.js';

export interface CatalogueFlags extends VerifyFlags {
  jobs?: string;
}

export function parseJobs(value: string | undefined): number {
  if (value === undefined) return Math.max(1, availableParallelism());
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) throw new BadInputError(`job count ${JSON.stringify(value)} is not a whole number from 1 to 64`, { flag: '-j' });
  return n;
}

/** Errors first (the catalogue could not be judged: their code), then failed checks (1), else 0. */
function exitCodeOf(labs: readonly SuiteLab[]): number {
  const errored = labs.filter((l) => !l.report);
  if (errored.some((l) => l.error?.exitCode === ExitCode.interrupted)) return ExitCode.interrupted;
  if (errored.length) return errored[0]!.error?.exitCode ?? ExitCode.environment;
  return labs.every((l) => l.report?.verdict === 'pass') ? ExitCode.ok : ExitCode.checkFailed;
}

export async function checkCatalogue(selected: SelectedRuntime, flags: CatalogueFlags, proxy: ProxyChoice | undefined, images: ImageFlavor | undefined): Promise<number> {
  const jobs = parseJobs(flags.jobs);
  const episodes = await catalogueIds();
  const specs = await Promise.all(episodes.map((e) => episodeSpec(e, proxy, images)));
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startedAt = new Date();
  const labs: SuiteLab[] = [];
  try {
    // Listr draws the progress (one line per lab); runScheduled decides what runs when.
    const steps = new Map<string, (s: string) => void>();
    // Each lab's line ends when its run does, or when the whole run ends (a lab cancelled before it started).
    const ends = new Map(episodes.map((e) => {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => { end = resolve; });
      return [e, { ended, end }] as const;
    }));
    // The labs that must run alone go first, then the rest share the machine; results come back in catalogue order.
    const alone = specs.map((spec) => needsMachineAlone(spec, Boolean(flags.chaos)));
    const order = episodes.map((_, i) => i).sort((a, b) => Number(alone[b]) - Number(alone[a]));
    const results = runScheduled(order.map((i) => ({
      resources: labResources(specs[i]!),
      exclusive: alone[i],
      run: () => runEpisode(episodes[i]!, specs[i]!, {
        runtime: selected.runtime, proxy, images, verify: { requests: flags.requests, seed: flags.seed, chaos: flags.chaos },
        signal: controller.signal, onStep: (s) => steps.get(episodes[i]!)?.(s),
      }).then((lab) => {
        steps.get(episodes[i]!)?.(`${lab.report ? lab.report.verdict.toUpperCase() : 'ERROR'} in ${seconds(lab.durationMs)}`);
        return lab;
      }).finally(() => ends.get(episodes[i]!)!.end()),
    })), jobs, controller.signal).then((settled) => {
      for (const { end } of ends.values()) end();
      return order.map((_, k) => settled[order.indexOf(k)]!);
    });
    const list = new Listr(episodes.map((episode) => ({
      title: `${episode}: waiting for a slot`,
      task: async (_ctx: unknown, task: { title: string; output: string }) => {
        steps.set(episode, (s) => { if (!s.includes(':')) task.title = `${episode}: ${s}`; else task.output = s; });
        await ends.get(episode)!.ended;
      },
    })), { concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: { showErrorMessage: false }, fallbackRenderer: 'simple', ...progressRendering() });
    const [settled] = await Promise.all([results, list.run()]);
    settled.forEach((r, i) => labs.push(r.status === 'fulfilled' ? r.value : { episode: episodes[i]!, durationMs: 0, error: { message: String((r.reason as Error)?.message ?? r.reason), exitCode: controller.signal.aborted ? ExitCode.interrupted : ExitCode.environment } }));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const suite: SuiteReport = {
    kind: 'suite', verdict: suiteVerdict(labs), runtime: selected.runtime.describe(), proxy: proxy ?? 'catalogue', jobs,
    ...(flags.seed ? { seed: flags.seed } : {}), startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), labs,
  };
  say(`\n${renderSummary(suite, terminalWidth())}\n`);
  sayVerdict(`${episodes.length} labs: ${suite.verdict.toUpperCase()}`);
  const jsonFile = await writeJsonOutput(flags.json, reportToJson(suite));
  if (jsonFile) say(`report: ${jsonFile}\n`);
  if (flags.junit) {
    await writeJunitReport(flags.junit, suite);
    say(`junit: ${flags.junit}\n`);
  }
  if (flags.html) {
    await writeHtmlReport(flags.html, { kind: 'suite', report: suite });
    say(`html: ${flags.html}\n`);
  }
  return exitCodeOf(labs);
}
