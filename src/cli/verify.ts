import type { Command } from 'commander';
import { resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { runtimeForLab } from '../runtime/select.js';
import { loadLabDirectorySpec } from '../lab-schema/load.js';
import { parseProxyChoice, parseRequests, publishReport, verifyRunningLab, type VerifyFlags } from './report-output.js';
import { parseChaosMode } from '../verify/models/failover-judge.js';
import { action } from './run-command.js';
import { JSON_OPTION, JSON_OPTION_HELP, QUIET_OPTION, QUIET_OPTION_HELP, sayProgress } from './output.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .argument('<dir>', 'a running lab directory (haplab up DIR)')
    .description('drive traffic through the running lab and report whether it does what its algorithm must')
    .option('--requests <n>', 'at least this many requests per check (the statistics compute the minimum)')
    .option('--seed <seed>', 'make the random parts repeatable')
    .option('--chaos [how]', 'also stop (or pause) one backend app mid-stream and judge the failover: stop | pause | both (bare: stop)')
    .option('--proxy <which>', 'haproxy | ts | both (default: every proxy the lab runs)')
    .option('--weight-change', 'also change a server\'s weight through the runtime API and set it back, which tells static-rr from roundrobin (check does it always; fwrr keeps a trace of it, see docs/verification.md)')
    .option(JSON_OPTION, JSON_OPTION_HELP)
    .option('--junit <file>', 'write the report as JUnit XML')
    .option(QUIET_OPTION, QUIET_OPTION_HELP)
    .option('--html <file>', 'write the report as one self-contained HTML page')
    .option('-v, --verbose', 'the check table in full (no cell cut), every check\'s detail, every candidate\'s reason')
    .action(action(async (dir: string, flags: VerifyFlags) => {
      // Flags, then the lab directory, are refused before any runtime is asked.
      parseChaosMode(flags.chaos);
      parseRequests(flags.requests);
      parseProxyChoice(flags.proxy);
      const abs = resolve(dir);
      await loadLabDirectorySpec(abs, dir);
      const { runtime } = await runtimeForLab(abs);
      const instance = await runtime.inspect(abs);
      if (!instance) throw new EnvironmentError(`no lab is up in ${abs}`, `start it with \`haplab up ${dir}\`, or run \`haplab check ${dir}\``);
      const report = await verifyRunningLab(runtime, instance, flags, (s) => sayProgress(`  … ${s}\n`));
      return publishReport(report, flags);
    }));
}
