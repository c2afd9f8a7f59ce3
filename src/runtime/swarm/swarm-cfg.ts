/**
 * The haproxy.cfg a proxy runs on the swarm: the lab's own file, plus what HAProxy's
 * documentation asks for on Docker Swarm. A task that is rescheduled (its node failed, it
 * crashed) comes back with a new address, and a proxy that resolved `app1` once at start
 * would keep sending to the old one for ever. So a `resolvers` section pointing at Docker's
 * embedded DNS (127.0.0.11, in every task's network namespace) is added, and every server
 * written with a name and no `resolvers` of its own is given it: both proxies then follow
 * the service's address as it moves. Nothing else changes, byte for byte; a lab that names
 * its own resolvers keeps them. The run's notes say what was added.
 */
import { parseConfig, tokenizeLine } from '../../proxy/config/index.js';

export const SWARM_RESOLVERS = 'haplab_swarm';

/** Docker's embedded DNS server, as every swarm task sees it. */
export const DOCKER_DNS = '127.0.0.11:53';

export interface SwarmCfg {
  text: string;
  /** What was added, for the run's notes (empty when the file needed nothing). */
  notes: string[];
}

export function followReschedules(text: string, file: string): SwarmCfg {
  const config = parseConfig(text, { file });
  const lines = text.split('\n');
  const following: string[] = [];
  for (const proxy of config.proxies) {
    for (const server of proxy.servers) {
      if (!server.fqdn || server.resolvers !== undefined) continue;
      const index = server.where.line - 1;
      const raw = lines[index]!;
      const words = tokenizeLine(raw, { file, line: server.where.line });
      const last = words[words.length - 1];
      if (!last) continue;
      lines[index] = `${raw.slice(0, last.end - 1)} resolvers ${SWARM_RESOLVERS}${raw.slice(last.end - 1)}`;
      following.push(server.name);
    }
  }
  if (following.length === 0) return { text, notes: [] };
  if (config.resolvers.has(SWARM_RESOLVERS)) {
    throw new Error(`${file} already has a resolvers section named ${SWARM_RESOLVERS}, and servers that do not use it`);
  }
  const body = lines.join('\n');
  const section = [
    '',
    `# [haplab swarm runtime] Docker's DNS, so that a rescheduled task's new address is followed`,
    `resolvers ${SWARM_RESOLVERS}`,
    `    nameserver docker ${DOCKER_DNS}`,
    // HAProxy's default, said out loud: each name is asked again every second.
    '    timeout resolve 1s',
    '',
  ].join('\n');
  return {
    text: `${body.endsWith('\n') ? body.slice(0, -1) : body}\n${section}`,
    notes: [`${file}: on the swarm, \`resolvers ${SWARM_RESOLVERS}\` (Docker's DNS at ${DOCKER_DNS}) added to ${following.join(', ')}, so each follows its app's task when it is rescheduled`],
  };
}
