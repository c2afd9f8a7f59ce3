import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadInputError, EnvironmentError, ExitCode } from '../errors.js';
import { runtimeForLab } from '../runtime/select.js';
import { createBalancer } from '../proxy/balance/index.js';
import type { ProxyKind } from '../lab-schema/types.js';
import { balancerOracle } from '../verify/balance-oracle.js';
import { identify, type IdentifyResult } from '../verify/identify/index.js';
import { identifyVerdictLine, renderIdentify } from '../verify/identify/render.js';
import { labSender, serverNamer, urlSender, type Sender } from '../verify/identify/targets.js';
import { createRng, randomSeed } from '../verify/rng.js';
import { DEFAULT_ALPHA } from '../verify/statistics.js';
import { writeHtmlReport, type IdentifyRecord } from '../verify/report/html/index.js';
import { action } from './run-command.js';
import { JSON_OPTION, JSON_OPTION_HELP, QUIET_OPTION, QUIET_OPTION_HELP, say, sayVerdict, writeJsonOutput, type OutputFlags } from './output.js';

interface IdentifyFlags extends OutputFlags {
  header: string;
  pattern?: string;
  requests: string;
  keys: string;
  seed?: string;
  proxy?: ProxyKind;
  html?: string;
}

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 100_000) throw new BadInputError(`${flag} ${value}: not a whole number from ${min} to 100000`, { flag });
  return n;
}

export function registerIdentifyCommand(program: Command): void {
  program
    .command('identify')
    .argument('<target>', 'http://HOST:PORT/PATH of any HTTP frontend, or a running lab directory')
    .description('drive separating traffic through a balancer and name the algorithm it runs')
    .option('--header <name>', 'the response header that names the server', 'X-Served-By')
    .option('--pattern <regex>', 'name the server by this pattern in the body instead (first group)')
    .option('--requests <n>', 'sequential requests', '120')
    .option('--keys <n>', 'distinct keys, each sent 3 times', '40')
    .option('--seed <seed>', 'make the run repeatable')
    .option('--proxy <which>', 'haproxy | ts: which proxy of a lab')
    .option(JSON_OPTION, JSON_OPTION_HELP)
    .option(QUIET_OPTION, QUIET_OPTION_HELP)
    .option('--html <file>', 'write the result as one self-contained HTML page')
    .action(action(async (target: string, flags: IdentifyFlags) => {
      const requests = count('--requests', flags.requests, 12);
      const keys = count('--keys', flags.keys, 10);
      const seed = flags.seed ?? randomSeed();
      const oracle = balancerOracle(createBalancer);
      let sender: Sender;
      let close = async () => {};
      if (/^[a-z]+:\/\//i.test(target) || !existsSync(target)) {
        sender = urlSender(target, keys);
      } else {
        const dir = resolve(target);
        const { runtime } = await runtimeForLab(dir);
        const instance = await runtime.inspect(dir);
        if (!instance) throw new EnvironmentError(`no lab is up in ${dir}`, `start it with \`haplab up ${target}\``);
        const prober = await runtime.prober(instance);
        close = () => prober.close();
        sender = await labSender(instance, prober, flags.proxy, keys);
      }
      let result: IdentifyResult;
      try {
        result = await identify({
          ...sender, sequential: requests, keys, rounds: 3, serverOf: serverNamer(flags.header, flags.pattern),
          send: (reqs, options) => sender.send(reqs, { ...options, servedByHeader: flags.header }),
          oracle, make: oracle.balancer!.bind(oracle), rng: createRng(seed), alpha: DEFAULT_ALPHA,
        });
      } finally {
        await close();
      }
      say(renderIdentify(target, result, seed));
      sayVerdict(identifyVerdictLine(target, result));
      const record: IdentifyRecord = { target, seed, ...result };
      await writeJsonOutput(flags.json, `${JSON.stringify(record, null, 2)}\n`);
      if (flags.html) {
        await writeHtmlReport(flags.html, { kind: 'identify', report: record });
        say(`html: ${flags.html}\n`);
      }
      return result.fits.length === 1 ? ExitCode.ok : ExitCode.checkFailed;
    }));
}
