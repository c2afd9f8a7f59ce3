/** haproxy.cfg from a lab spec: the file both HAProxy and haplab's TypeScript proxy read. */
import type { BackendSpec, FrontendSpec, LabSpec, ServerSpec } from '../lab-schema/types.js';
import { RUNTIME_API_PORT, STATS_BIND_PORT, TLS_CERT_PATH } from '../lab-schema/types.js';
import { backendModeOf } from '../lab-schema/rule-words.js';
import { renderTemplate } from './engine.js';

export interface CfgTarget {
  /** Where servers are reached: the app's name on a Docker network, 127.0.0.1 locally. */
  serverAddress(app: { name: string; port: number }): string;
  /** The address frontends bind: `*` in a container, 127.0.0.1 locally. */
  bindHost: string;
  /** The port a frontend binds: its `bind` in a container, a host port locally. */
  bindPort(frontend: FrontendSpec): number;
  statsPort: number;
}

export const containerTarget: CfgTarget = {
  serverAddress: (app) => `${app.name}:${app.port}`,
  bindHost: '*',
  bindPort: (f) => f.bind,
  statsPort: STATS_BIND_PORT,
};

/** `balance` as HAProxy 2.6 accepts it (random draws go in parentheses, see ep08's note). */
export function balanceLine(b: BackendSpec): string {
  switch (b.balance) {
    case 'random':
      return b.balanceArg ? `random(${b.balanceArg})` : 'random';
    case 'hdr':
      return `hdr(${b.balanceArg})`;
    case 'url_param':
      return `url_param ${b.balanceArg}`;
    default:
      return b.balance;
  }
}

export function renderHaproxyCfg(spec: LabSpec, target: CfgTarget = containerTarget): string {
  const apps = new Map(spec.apps.map((a) => [a.name, a]));
  const backends = spec.backends.map((b) => ({
    ...b,
    balanceNote: b.balance === 'random' && b.balanceArg && b.balanceArg !== '1'
      ? `random(${b.balanceArg}): draw ${b.balanceArg} servers at random and send to the least loaded of them ("random draw ${b.balanceArg}" is not a keyword HAProxy 2.6 knows).`
      : undefined,
  }));
  return renderTemplate('haproxy.cfg', {
    spec: { ...spec, backends },
    defaultMode: spec.frontends[0]!.mode,
    bindHost: target.bindHost,
    bindPort: target.bindPort,
    statsPort: target.statsPort,
    runtimeApiPort: RUNTIME_API_PORT,
    tlsCertPath: TLS_CERT_PATH,
    backendMode: (b: BackendSpec) => backendModeOf(spec, b),
    balanceLine,
    serverAddress: (s: ServerSpec) => target.serverAddress(apps.get(s.app)!),
    notes: spec.notes ?? [],
    wrap: wrapComment,
  });
}

function wrapComment(text: string, width = 88): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
