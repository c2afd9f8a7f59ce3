/** Sends probe traffic to a local lab from loopback client addresses, in this process. */
import { sendBatch, type ResolvedRequest } from '../../probe/send.js';
import type { LabInstance, ProbeBatchOptions, ProbeRequest, ProbeResponse, Prober } from '../types.js';
import { loopbackAddresses } from './client-addresses.js';

export class LocalProber implements Prober {
  constructor(private readonly instance: LabInstance) {}

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

  async close(): Promise<void> {
    // Nothing held between batches: sendBatch closes its own connections.
  }
}
