/** The `global` section: the few process settings haplab's proxy honours or can safely skip. */
import { BadInputError } from '../../errors.js';
import type { ConfigWarning, GlobalSettings, SourceRef, StatsSocket } from './model.js';
import { checkLogLine } from './log.js';
import type { Word } from './tokenize.js';
import { parseInteger } from './values.js';

/**
 * Process-management lines that change nothing about how traffic is balanced. They are
 * accepted so stock configs load, but each one is reported as a warning, never silently.
 */
const IGNORED_WITH_WARNING = new Set([
  'chroot', 'user', 'group', 'uid', 'gid', 'pidfile', 'ulimit-n', 'master-worker',
  'ca-base', 'crt-base', 'ssl-default-bind-ciphers', 'ssl-default-bind-ciphersuites',
  'ssl-default-bind-options', 'ssl-default-server-options', 'tune.ssl.default-dh-param',
]);

export function freshGlobal(): GlobalSettings {
  return { daemon: false, logs: [], statsSockets: [] };
}

/**
 * `stats socket <path | ipv4@host:port> [options]`: haplab answers the runtime API's weight
 * commands there (src/proxy/runtime-api.ts). Of the options only `level` matters to it;
 * `mode`, `user`, `group`, `expose-fd` are file and process details it accepts.
 */
function parseStatsSocket(args: readonly Word[], at: SourceRef): StatsSocket {
  const address = args[0];
  if (!address) throw new BadInputError("'stats socket' expects a path or an address", at, 'e.g. stats socket /run/haproxy/admin.sock level admin');
  let level: StatsSocket['level'] = 'user';
  const levelAt = args.findIndex((w) => w.text === 'level');
  if (levelAt > 0) {
    const value = args[levelAt + 1]?.text;
    if (value !== 'user' && value !== 'operator' && value !== 'admin') {
      throw new BadInputError(`'level' in 'stats socket' expects 'user', 'operator' or 'admin' (got '${value ?? ''}')`, { ...at, column: args[levelAt]!.column });
    }
    level = value;
  }
  const m = /^(?:ipv4@)?(\d{1,3}(?:\.\d{1,3}){3}|\*)?:(\d+)$/.exec(address.text);
  if (m && (address.text.startsWith('ipv4@') || !address.text.startsWith('/'))) {
    return { host: m[1] === '*' || !m[1] ? '0.0.0.0' : m[1], port: Number(m[2]), level, where: at };
  }
  return { path: address.text.replace(/^unix@/, ''), level, where: at };
}

export function parseGlobalLine(words: readonly Word[], global: GlobalSettings, where: SourceRef, warnings: ConfigWarning[]): void {
  const keyword = words[0]!;
  const args = words.slice(1);
  const at = { ...where, column: keyword.column };
  // HAProxy refuses extra words after these keywords ("cannot handle unexpected argument").
  const noMoreThan = (count: number) => {
    const extra = args[count];
    if (extra) throw new BadInputError(`'${keyword.text}' cannot handle unexpected argument '${extra.text}'`, { ...where, column: extra.column }, `remove '${extra.text}'`);
  };
  switch (keyword.text) {
    case 'daemon':
      // The proxy runs in the foreground like `haproxy -db`: containers and tests need that.
      noMoreThan(0);
      global.daemon = true;
      return;
    case 'noreuseport':
      // Node's listeners never set SO_REUSEPORT, so a taken port always fails to bind here.
      noMoreThan(0);
      return;
    case 'maxconn':
      global.maxconn = parseInteger(args[0], 'maxconn', where, { min: 1 });
      noMoreThan(1);
      return;
    case 'nbthread':
      global.nbthread = parseInteger(args[0], 'nbthread', where, { min: 1, max: 4096 });
      noMoreThan(1);
      return;
    case 'log':
      checkLogLine(args, at, true);
      global.logs.push(args.map((w) => w.text));
      return;
    case 'stats':
      if (args[0]?.text === 'socket') {
        global.statsSockets.push(parseStatsSocket(args.slice(1), at));
        return;
      }
      if (args[0]?.text === 'timeout') {
        warnings.push({ message: `'stats ${args[0].text}' is ignored by haplab (no runtime API)`, where: at });
        return;
      }
      throw new BadInputError(
        `'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' in 'global' (got '${args[0]?.text ?? ''}')`,
        at,
        "'stats enable' and 'stats uri' belong in a defaults, frontend, backend or listen section",
      );
    default:
      if (IGNORED_WITH_WARNING.has(keyword.text)) {
        warnings.push({ message: `'${keyword.text}' is ignored by haplab (process setting)`, where: at });
        return;
      }
      throw new BadInputError(
        `unknown keyword '${keyword.text}' in 'global' section`,
        at,
        'haplab supports log, daemon, maxconn, nbthread, noreuseport in global; check the spelling or remove the line',
      );
  }
}
