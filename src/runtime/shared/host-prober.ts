/**
 * A Prober that sends from this host, in this process, to a lab's published endpoints,
 * from loopback client addresses. The local runtime's prober; the docker runtime's stream
 * prober (its own prober runs each batch as a `docker exec`, too slow per call for a steady
 * stream, and the stream's source address does not matter).
 */
import net from 'node:net';
import type { ProxyKind } from '../../lab-schema/types.js';
import { sendBatch, type ResolvedRequest } from '../../probe/send.js';
import type { LabInstance, ProbeBatchOptions, ProbeRequest, ProbeResponse, Prober } from '../types.js';
import { LOOPBACK_NET, loopbackAddresses } from './loopback-addresses.js';

export class HostProber implements Prober {
  readonly sourceRange = LOOPBACK_NET;

  /**
   * `origin`: said in reports where this prober stands in for a runtime's own one.
   * `runtimeSockets`: each proxy's admin runtime API socket, where the runtime made one.
   */
  constructor(
    private readonly instance: LabInstance,
    readonly origin?: string,
    private readonly runtimeSockets: Partial<Record<ProxyKind, string>> = {},
  ) {}

  async runtimeApi(proxy: ProxyKind, command: string): Promise<string | undefined> {
    const path = this.runtimeSockets[proxy];
    if (!path) return undefined;
    return new Promise((resolve) => {
      const c = net.createConnection(path);
      let out = '';
      c.setEncoding('utf8');
      c.setTimeout(5000, () => c.destroy());
      c.on('data', (d: string) => (out += d));
      c.on('end', () => resolve(out));
      // No socket (a lab started before the runtime made one), or no answer: out of reach.
      c.on('error', () => resolve(undefined));
      c.on('close', () => resolve(out || undefined));
      c.write(`${command}\n`);
    });
  }

  async clientAddresses(count: number, subnet?: string): Promise<string[]> {
    return loopbackAddresses(count, subnet);
  }

  async send(requests: ProbeRequest[], options?: ProbeBatchOptions): Promise<ProbeResponse[]> {
    const resolved: (ResolvedRequest | undefined)[] = requests.map((r) => {
      const endpoint = this.instance.endpoints.find((e) => e.proxy === r.proxy && e.frontend === r.frontend);
      return endpoint ? { ...r, target: { host: endpoint.host, port: endpoint.port } } : undefined;
    });
    const sendable = resolved.filter((r): r is ResolvedRequest => r !== undefined);
    const answers = await sendBatch(sendable, options);
    let next = 0;
    return requests.map((r, i) =>
      resolved[i] ? answers[next++]! : { status: 0, body: '', error: `no ${r.proxy} endpoint for frontend ${r.frontend}`, sentAtMs: 0, doneAtMs: 0 },
    );
  }

  /** Already in-process and fast per call. */
  forStream(): Prober {
    return this;
  }

  async close(): Promise<void> {
    // Nothing held between batches: sendBatch closes its own connections.
  }
}
