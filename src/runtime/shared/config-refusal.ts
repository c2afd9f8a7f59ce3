/**
 * A proxy that refuses its haproxy.cfg at start-up says where, in its own words:
 *  - HAProxy: `[ALERT]    (1) : config : parsing [FILE:LINE] : what is wrong`;
 *  - haplab's proxy: `haplab: FILE:LINE:COLUMN: what is wrong — how to fix it`.
 * When FILE is where the runtime delivered the lab's haproxy.cfg, that is the learner's file
 * at that line: bad input (exit 2) named in the lab, not a machine that failed (exit 3).
 * The line numbers hold because the runtimes that use this deliver the file unchanged.
 */
import { BadInputError } from '../../errors.js';
import type { ProxyKind } from '../../lab-schema/types.js';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The refusal in `logLines` of the config delivered at `deliveredAs`, told at `labFile`; undefined when there is none. */
export function configRefusal(proxy: ProxyKind, logLines: readonly string[], deliveredAs: string, labFile: string): BadInputError | undefined {
  const at = escape(deliveredAs);
  const pattern = proxy === 'haproxy'
    ? new RegExp(`\\[ALERT\\].*?parsing \\[${at}:(\\d+)\\]\\s*:\\s*(.+)$`)
    : new RegExp(`^haplab: ${at}:(\\d+)(?::(?:\\d+))?: (.+)$`);
  for (const line of logLines) {
    const m = pattern.exec(line.trim());
    if (!m) continue;
    const what = m[2]!.trim();
    const name = proxy === 'haproxy' ? 'HAProxy' : "haplab's proxy";
    return new BadInputError(`${name} refuses this line: ${what}`, { file: labFile, line: Number(m[1]) }, proxy === 'haproxy' ? HAPROXY_HINT : undefined);
  }
  // HAProxy's checks after parsing (a default_backend that does not exist, …) name no line.
  if (proxy === 'haproxy' && logLines.some((l) => /Fatal errors found in configuration/.test(l))) {
    const what = logLines.map((l) => /\[ALERT\].*?: config : (.+)$/.exec(l.trim())?.[1]).find((m) => m !== undefined && !/^(Error\(s\) found|Fatal errors found)/.test(m));
    if (what) return new BadInputError(`HAProxy refuses it: ${what.trim()}`, { file: labFile }, HAPROXY_HINT);
  }
  return undefined;
}

const HAPROXY_HINT = 'fix it (`haproxy -c -f FILE` checks a file), then run `haplab up` again';
