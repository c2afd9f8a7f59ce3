/**
 * HAProxy's runtime API on a `stats socket`, the part haplab's proxy answers: a weight
 * changed at run time — `set server B/S weight W[%]`, its deprecated spelling `set weight
 * B/S W[%]` — and `get weight B/S`, with HAProxy 2.6's own answers (server.c
 * server_parse_weight_change_request and cli_find_server; checked against HAProxy by
 * test/integration/runtime-api-parity.test.ts); and `show stat`, the stats page's CSV, which
 * is how a lab whose stats page is not published to the host (the swarm's) is read. One command per connection, answered and
 * closed, as HAProxy's non-interactive mode does; every answer ends with an empty line.
 *
 * A static algorithm (static-rr, map-based hashing) refuses any weight but 0 and the
 * initial one, because its server map is computed once: that refusal is what tells
 * static-rr from roundrobin when the weights never change otherwise (src/verify/candidates).
 */
import { lstatSync, rmSync } from 'node:fs';
import net from 'node:net';
import { isStaticBalance } from './balance/index.js';
import type { StatsSocket } from './config/model.js';
import type { RuntimeBackend, RuntimeServer } from './runtime.js';
import { statsCsv, type StatsSource } from './stats-page.js';

const STATIC_REFUSAL = "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
const UNKNOWN = "Unknown command: haplab's proxy answers 'set server <bk>/<srv> weight <w>', 'set weight <bk>/<srv> <w>', 'get weight <bk>/<srv>' and 'show stat'.\n";

/** server_parse_weight_change_request: undefined when the weight was set, else HAProxy's message. */
function changeWeight(server: RuntimeServer, text: string | undefined): string | undefined {
  if (!text) return 'Require <weight> or <weight%>.\n';
  const m = /^([+-]?\d+)(.*)$/.exec(text);
  if (!m) return 'Empty weight string empty or preceded by garbage';
  let w = Number(m[1]);
  const initial = server.config.weight;
  if (m[2] === '%') {
    if (w < 0) return 'Relative weight must be positive.\n';
    w = Math.min(256, Math.floor((initial * Math.min(w, 25600)) / 100));
  } else if (w < 0 || w > 256) return 'Absolute weight can only be between 0 and 256 inclusive.\n';
  else if (m[2] !== '') return 'Trailing garbage in weight string';
  if (w && w !== initial && isStaticBalance(server.backend.section.balance)) return STATIC_REFUSAL;
  server.weight = w;
  server.backend.balancer.update(server);
  return undefined;
}

/** The answer to one command line, as HAProxy writes it. */
export function runtimeCommand(line: string, backends: ReadonlyMap<string, RuntimeBackend>, level: StatsSocket['level'], stats?: StatsSource): string {
  const words = line.trim().split(/\s+/);
  // Every level may read the statistics, as on HAProxy; its filters and formats are not answered.
  if (words[0] === 'show' && words[1] === 'stat' && words.length === 2 && stats) return `${statsCsv(stats)}\n`;
  const find = (ref: string | undefined): RuntimeServer | string => {
    const [b, s] = (ref ?? '').split('/');
    const backend = b ? backends.get(b) : undefined;
    if (!backend) return 'No such backend.\n';
    return backend.servers.find((x) => x.name === s) ?? 'No such server.\n';
  };
  const set = (ref: string | undefined, weight: string | undefined): string => {
    if (level !== 'admin') return 'Permission denied\n\n';
    const server = find(ref);
    if (typeof server === 'string') return `${server}\n`;
    return `${changeWeight(server, weight) ?? ''}\n`;
  };
  if (words[0] === 'set' && words[1] === 'server' && words[3] === 'weight') return set(words[2], words[4]);
  if (words[0] === 'set' && words[1] === 'weight') return set(words[2], words[3]);
  if (words[0] === 'get' && words[1] === 'weight') {
    const server = find(words[2]);
    return typeof server === 'string' ? `${server}\n` : `${server.weight} (initial ${server.config.weight})\n\n`;
  }
  return `${UNKNOWN}\n`;
}

/** Listens on every `stats socket`; returns the servers, for the proxy to close. */
export async function startRuntimeApi(sockets: readonly StatsSocket[], backends: ReadonlyMap<string, RuntimeBackend>, stats?: StatsSource): Promise<net.Server[]> {
  const servers: net.Server[] = [];
  for (const socket of sockets) {
    const server = net.createServer((conn) => {
      let buffered = '';
      conn.setEncoding('utf8');
      conn.on('error', () => conn.destroy());
      conn.on('data', (chunk: string) => {
        buffered += chunk;
        const end = buffered.indexOf('\n');
        if (end < 0) {
          if (buffered.length > 4096) conn.destroy();
          return;
        }
        conn.end(runtimeCommand(buffered.slice(0, end), backends, socket.level, stats));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (socket.path !== undefined) {
        // HAProxy replaces a socket left by an earlier process (never another kind of file).
        if (lstatSync(socket.path, { throwIfNoEntry: false })?.isSocket()) rmSync(socket.path);
        server.listen(socket.path, () => resolve());
      } else server.listen({ host: socket.host, port: socket.port }, () => resolve());
    });
  }
  return servers;
}
