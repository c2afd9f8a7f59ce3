/** `haplab proxy -f haproxy.cfg [-c]`: runs (or only checks) haplab's TypeScript proxy, like `haproxy -db -f`. */
import type { Command } from 'commander';
import { BadInputError, ExitCode, formatWhere } from '../errors.js';
import { checkStartable, loadConfigFile, startProxy } from '../proxy/index.js';
import type { ProxyConfig } from '../proxy/config/model.js';
import { action } from './run-command.js';

interface ProxyFlags {
  file?: string;
  check?: boolean;
}

function printWarnings(config: ProxyConfig): void {
  for (const w of config.warnings) process.stderr.write(`haplab: warning: ${formatWhere(w.where)}: ${w.message}\n`);
}

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description("run haplab's TypeScript load balancer on a haproxy.cfg, like haproxy -f")
    .option('-f, --file <haproxy.cfg>', 'the configuration file to read')
    .option('-c, --check', 'only check the configuration, like haproxy -c')
    .action(
      action(async (flags: ProxyFlags) => {
        if (!flags.file) throw new BadInputError('missing configuration file', { flag: '-f' }, 'run haplab proxy -f haproxy.cfg');
        const config = await loadConfigFile(flags.file);
        printWarnings(config);
        await checkStartable(config, flags.file);
        if (flags.check) {
          process.stdout.write('Configuration file is valid\n');
          return ExitCode.ok;
        }
        const proxy = await startProxy(config);
        for (const a of proxy.addresses) process.stderr.write(`haplab: frontend '${a.frontend}' listening on ${a.host}:${a.port}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.removeListener('SIGINT', stop);
            process.removeListener('SIGTERM', stop);
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await proxy.close();
        return ExitCode.ok;
      }),
    );
}
