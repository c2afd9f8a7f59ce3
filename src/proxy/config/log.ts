/**
 * `log` lines, checked as HAProxy 2.6's parse_logsrv() checks them, though haplab's proxy
 * does not send syslog: a line HAProxy refuses must not load here either.
 *   log global                      (not in the global section)
 *   log <address> [len <80..65535>] [format <fmt>] [sample <ranges>:<size>] <facility> [<level> [<minlevel>]]
 */
import { BadInputError } from '../../errors.js';
import type { SourceRef } from './model.js';
import type { Word } from './tokenize.js';
import { splitHostPort } from './values.js';

const FACILITIES = new Set([
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp',
  'audit', 'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]);
const LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']);
const FORMATS = new Set(['local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw']);
const HINT = 'write e.g. log stdout format raw local0, or log 127.0.0.1:514 local0 info';

function checkAddress(word: Word, at: SourceRef): void {
  const text = word.text;
  if (text === 'stdout' || text === 'stderr' || text.startsWith('/') || /^[a-z0-9]+@/.test(text)) return;
  const { port } = splitHostPort(text);
  // A bare IPv6 address splits into host and a "port" of hex digits: only judge decimal ports.
  if (port !== undefined && !text.startsWith('[') && text.split(':').length > 2) return;
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw new BadInputError(`log : invalid port '${port}'`, { ...at, column: word.column }, 'write ADDRESS:PORT with a port from 1 to 65535');
  }
}

/** Throws on a `log` line HAProxy would refuse; `args` are the words after `log`. */
export function checkLogLine(args: readonly Word[], at: SourceRef, inGlobal: boolean): void {
  const fail = (message: string, word?: Word) => new BadInputError(`log : ${message}`, word ? { ...at, column: word.column } : at, HINT);
  const [address, first] = args;
  if (address?.text === 'global' && !first) {
    if (inGlobal) throw fail("'global' is not supported for a global syslog server", address);
    return;
  }
  if (!address || !first) throw fail(`expects <address> and <facility>${inGlobal ? '' : ' or global'} as arguments`);
  checkAddress(address, at);

  let k = 1;
  /** The value after the option at `k`, moving past both. */
  const value = () => {
    const v = args[k + 1];
    k += 2;
    return v;
  };
  if (args[k]?.text === 'len') {
    const option = args[k]!;
    const v = value();
    const n = v && /^\d+$/.test(v.text) ? Number(v.text) : NaN;
    if (!(n >= 80 && n <= 65535)) throw fail(`invalid log length '${v?.text ?? ''}', must be between 80 and 65535`, v ?? option);
  }
  if (args[k]?.text === 'format') {
    const option = args[k]!;
    const v = value();
    if (!v || !FORMATS.has(v.text)) throw fail(`unknown log format '${v?.text ?? ''}'`, v ?? option);
  }
  if (args[k]?.text === 'sample') {
    const option = args[k]!;
    const v = value();
    if (!v || !/^[0-9,-]+:[0-9]+$/.test(v.text)) throw fail(`invalid sample '${v?.text ?? ''}'`, v ?? option);
  }
  const facility = args[k];
  if (!facility || !FACILITIES.has(facility.text)) throw fail(`unknown log facility '${facility?.text ?? ''}'`, facility);
  const level = args[k + 1];
  if (level && !LEVELS.has(level.text)) throw fail(`unknown optional log level '${level.text}'`, level);
  const minLevel = args[k + 2];
  if (minLevel && !LEVELS.has(minLevel.text)) throw fail(`unknown optional minimum log level '${minLevel.text}'`, minLevel);
  const extra = args[k + 3];
  if (extra) throw fail(`cannot handle unexpected argument '${extra.text}'`, extra);
}
