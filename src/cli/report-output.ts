/** Runs the verifier on a running lab and prints/writes its report: shared by verify and check. */
import { BadInputError, ExitCode } from '../errors.js';
import type { LabInstance, Runtime } from '../runtime/types.js';
import { reportToJson } from '../verify/report/json.js';
import { writeJunitReport } from '../verify/report/junit.js';
import { writeHtmlReport } from '../verify/report/html/index.js';
import { DEFAULT_WIDTH, renderTerminal, verdictLine } from '../verify/report/terminal.js';
import type { Report } from '../verify/report/types.js';
import { verifyLab } from '../verify/run.js';
import { specOracles } from '../verify/spec-oracles.js';
import { parseChaosMode } from '../verify/models/failover-judge.js';
import type { ProxyChoice } from '../lab-schema/types.js';
import { say, sayVerdict, textInColour, textWidth, writeJsonOutput, type OutputFlags } from './output.js';

export interface VerifyFlags extends OutputFlags {
  requests?: string;
  seed?: string;
  junit?: string;
  /** --html FILE: the report as one self-contained page. */
  html?: string;
  /** --verbose: every cell of the check table in full, every check's detail, every candidate's reason. */
  verbose?: boolean;
  proxy?: string;
  /** --chaos [stop|pause|both] (bare: stop). */
  chaos?: string | boolean;
  /** --weight-change, or set by check: a weight may be changed through the runtime API (the lab keeps the change's trace). */
  weightChange?: boolean;
}

export function parseRequests(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000) throw new BadInputError(`request count ${JSON.stringify(value)} is not a whole number from 1 to 1000000`, { flag: '--requests' });
  return n;
}

export function parseProxyChoice(value: string | undefined): ProxyChoice | undefined {
  if (value === undefined) return undefined;
  if (value === 'haproxy' || value === 'ts' || value === 'both') return value;
  throw new BadInputError(`unknown proxy ${JSON.stringify(value)}`, { flag: '--proxy' }, 'use haproxy, ts or both');
}

export async function verifyRunningLab(runtime: Runtime, instance: LabInstance, flags: VerifyFlags, onStep?: (s: string) => void): Promise<Report> {
  const prober = await runtime.prober(instance);
  try {
    return await verifyLab(instance, prober, {
      requests: parseRequests(flags.requests),
      seed: flags.seed,
      proxy: parseProxyChoice(flags.proxy),
      oracles: specOracles(instance.spec),
      chaos: parseChaosMode(flags.chaos),
      changeWeights: flags.weightChange === true,
      chaosFaults: runtime.disrupt && runtime.resume
        ? { disrupt: (app, how) => runtime.disrupt!(instance, app, how), resume: (app, how) => runtime.resume!(instance, app, how), stoppedApp: runtime.stoppedApp }
        : undefined,
      faults: runtime.disrupt && runtime.resume
        ? {
            stop: (app) => runtime.disrupt!(instance, app, 'stop'), start: (app) => runtime.resume!(instance, app, 'stop'), stoppedApp: runtime.stoppedApp,
            ...(runtime.setAppHealthy ? { setHealthy: (app: string, healthy: boolean) => runtime.setAppHealthy!(instance, app, healthy) } : {}),
          }
        : undefined,
      onStep,
    });
  } finally {
    await prober.close();
  }
}

/** The width of the terminal the report goes to (DEFAULT_WIDTH off a terminal). */
export const terminalWidth = (): number => textWidth(DEFAULT_WIDTH);

/** Prints the report (output.ts says where), writes --json/--junit/--html, and returns the exit code its verdict gives. */
export async function publishReport(report: Report, flags: VerifyFlags): Promise<number> {
  say(renderTerminal(report, { color: textInColour(), width: terminalWidth(), verbose: flags.verbose }));
  sayVerdict(verdictLine(report));
  const jsonFile = await writeJsonOutput(flags.json, reportToJson(report));
  if (jsonFile) say(`report: ${jsonFile}\n`);
  if (flags.junit) {
    await writeJunitReport(flags.junit, report);
    say(`junit: ${flags.junit}\n`);
  }
  if (flags.html) {
    await writeHtmlReport(flags.html, { kind: 'lab', report });
    say(`html: ${flags.html}\n`);
  }
  return report.verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed;
}
