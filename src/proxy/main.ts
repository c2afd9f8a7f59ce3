#!/usr/bin/env node
/**
 * The proxy's own entry point, for the proxy image (Node plus the compiled proxy, no
 * packages): `node dist/src/proxy/main.js -f haproxy.cfg [-c]`. It accepts HAProxy's
 * foreground flags (-db, -W, -Ws) so an image can keep haproxy's command line. Output and
 * exit codes are those of `haplab proxy`.
 */
import { ExitCode, HaplabError, formatWhere } from '../errors.js';
import { checkStartable, loadConfigFile } from './config/index.js';
import { startProxy } from './index.js';

const IGNORED_FLAGS = new Set(['-db', '-W', '-Ws', '-q']);

function usage(message: string): number {
  process.stderr.write(`haplab-proxy: ${message} — usage: main.js -f haproxy.cfg [-c]\n`);
  return ExitCode.badInput;
}

async function main(argv: readonly string[]): Promise<number> {
  let file: string | undefined;
  let checkOnly = false;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (arg === '-f') file = argv[++k];
    else if (arg === '-c') checkOnly = true;
    else if (!IGNORED_FLAGS.has(arg)) return usage(`unknown argument '${arg}'`);
  }
  if (!file) return usage('missing -f FILE');

  const config = await loadConfigFile(file);
  for (const w of config.warnings) process.stderr.write(`haplab: warning: ${formatWhere(w.where)}: ${w.message}\n`);
  await checkStartable(config, file);
  if (checkOnly) {
    process.stdout.write('Configuration file is valid\n');
    return ExitCode.ok;
  }
  const proxy = await startProxy(config);
  for (const a of proxy.addresses) process.stderr.write(`haplab: frontend '${a.frontend}' listening on ${a.host}:${a.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await proxy.close();
  return ExitCode.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof HaplabError) {
      process.stderr.write(`haplab: ${err.oneLine()}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`haplab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = ExitCode.environment;
    }
  },
);
