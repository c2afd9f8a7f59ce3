import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { examineMachine, type Status } from '../runtime/doctor/index.js';
import { action } from './run-command.js';

const MARK: Record<Status, string> = { ok: 'ok', warn: 'warn', missing: 'MISSING' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('what this machine has for labs (Docker, registry, base images, HAProxy, Flask, Node), each with the next step; exit 0 when a lab can run')
    .option('--json', 'print the findings as JSON')
    .action(action(async (flags: { json?: boolean }) => {
      const diagnosis = await examineMachine();
      const out = process.stdout;
      if (flags.json) {
        out.write(`${JSON.stringify(diagnosis, null, 2)}\n`);
      } else {
        const width = Math.max(...diagnosis.lines.map((l) => l.what.length));
        for (const line of diagnosis.lines) {
          out.write(`${MARK[line.status].padEnd(7)} ${line.what.padEnd(width)}  ${line.found}\n`);
          if (line.next) out.write(`${''.padEnd(9 + width)}next: ${line.next}\n`);
        }
        out.write(`docker runtime: ${diagnosis.runtimes.docker.why}\n`);
        out.write(`local runtime: ${diagnosis.runtimes.local.why}\n`);
        out.write(`${diagnosis.canRunLabs ? 'a lab can run here' : 'no lab can run here'}: ${diagnosis.next}\n`);
      }
      return diagnosis.canRunLabs ? ExitCode.ok : ExitCode.environment;
    }));
}
