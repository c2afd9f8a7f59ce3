/**
 * Where `identify` sends: a URL (any HTTP frontend, one haplab did not start included), or a
 * running lab's frontend through its runtime's prober (which speaks from inside the lab's
 * network, where the balancer sees the client's own address).
 */
import { BadInputError } from '../../errors.js';
import { sendBatch } from '../../probe/send.js';
import type { LabInstance, ProbeResponse, Prober } from '../../runtime/types.js';
import { primaryBackend, type ProxyKind } from '../../lab-schema/types.js';
import type { IdentifyOptions } from './index.js';

export type Sender = Pick<IdentifyOptions, 'send' | 'addresses' | 'path'>;

/** Loopback aliases a target on 127.0.0.0/8 sees as distinct clients (Linux routes all of them to lo). */
export function loopbackAliases(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}`);
}

export function urlSender(raw: string, keys: number): Sender {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadInputError(`"${raw}" is neither a URL nor a lab directory`, { flag: '<target>' }, 'give http://HOST:PORT/PATH or a lab directory made by `haplab new`');
  }
  if (url.protocol !== 'http:') throw new BadInputError(`${raw}: only http:// frontends can be identified`, { flag: '<target>' });
  const host = url.hostname;
  const port = Number(url.port || 80);
  const loopback = /^127\./.test(host) || host === 'localhost';
  return {
    path: `${url.pathname}${url.search}`,
    addresses: loopback ? loopbackAliases(keys) : [],
    send: (requests, options) => sendBatch(requests.map((r) => ({ ...r, proxy: 'haproxy', frontend: 'target', target: { host: host === 'localhost' ? '127.0.0.1' : host, port } })), options),
  };
}

/** The lab's frontend that sends to its balancing backend by default, through the runtime's prober. */
export async function labSender(instance: LabInstance, prober: Prober, proxy: ProxyKind | undefined, keys: number): Promise<Sender & { proxy: ProxyKind; frontend: string }> {
  const backend = primaryBackend(instance.spec);
  const frontend = instance.spec.frontends.find((f) => f.mode === 'http' && f.defaultBackend === backend.name && !f.rules?.length);
  if (!frontend) throw new BadInputError(`lab ${instance.lab} has no plain HTTP frontend in front of ${backend.name}`, { file: instance.dir });
  const running = [...new Set(instance.endpoints.map((e) => e.proxy))];
  const chosen = proxy ?? (running.includes('haproxy') ? 'haproxy' : running[0]);
  if (!chosen || !running.includes(chosen)) throw new BadInputError(`--proxy ${proxy}: the lab runs ${running.join(', ') || 'no proxy'}`, { flag: '--proxy' });
  let addresses: string[] = [];
  try {
    addresses = await prober.clientAddresses(keys);
  } catch {
    // Without client addresses the keys differ by path and header only: said in the result.
  }
  return {
    proxy: chosen, frontend: frontend.name, path: '/', addresses,
    send: (requests, options) => prober.send(requests.map((r) => ({ ...r, proxy: chosen, frontend: frontend.name })), options),
  };
}

/** How a response names its server: a header, or the first group of a body pattern. */
export function serverNamer(header: string, pattern?: string): (r: ProbeResponse) => string | undefined {
  if (!pattern) return (r) => r.servedBy;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new BadInputError(`--pattern ${pattern}: ${err instanceof Error ? err.message : String(err)}`, { flag: '--pattern' }, 'a JavaScript regular expression whose first group (or whole match) names the server');
  }
  void header;
  return (r) => {
    const m = re.exec(r.body);
    return m ? (m[1] ?? m[0]) : undefined;
  };
}
