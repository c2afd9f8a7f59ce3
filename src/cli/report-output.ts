/** Runs the verifier on a running lab and prints/writes its report: shared by verify and check. */
import { BadInputError, ExitCode } from '../errors.js';
import type { LabInstance, Runtime } from '../runtime/types.js';
import { writeJsonReport } from '../verify/report/json.js';
import { writeJunitReport } from '../verify/report/junit.js';
import { renderTerminal } from '../verify/report/terminal.js';
import type { Report } from '../verify/report/types.js';
import { verifyLab } from '../verify/run.js';
import { specOracles } from '../verify/spec-oracles.js';
import { parseChaosMode } from '../verify/models/failover-judge.js';
import type { ProxyChoice } from '../lab-schema/types.js';

export interface VerifyFlags {
  requests?: string;
  seed?: string;
  json?: string;
  junit?: string;
  proxy?: string;
  /** --chaos [stop|pause|both] (bare: stop). */
  chaos?: string | boolean;
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

/** Prints the report, writes --json/--junit, and returns the exit code its verdict gives. */
export async function publishReport(report: Report, flags: VerifyFlags): Promise<number> {
  // Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
  process.stdout.write(renderTerminal(report, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR }));
  if (flags.json) {
    await writeJsonReport(flags.json, report);
    process.stdout.write(`report: ${flags.json}\n`);
  }
  if (flags.junit) {
    await writeJunitReport(flags.junit, report);
    process.stdout.write(`junit: ${flags.junit}\n`);
  }
  return report.verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed;
}
