/**
 * Every client address the probe speaks from needs a neighbour (ARP) entry in each proxy's
 * network namespace, for the replies. The kernel's neighbour table is one for all namespaces
 * and holds at most gc_thresh3 entries (1024 by default) that are younger than 5 s; source
 * hashing (ep07) sends from ~1500 addresses per proxy, faster than that, and past the limit
 * the kernel drops the replies ("neighbour table overflow"): requests time out, keys look
 * unstuck. Permanent entries do not count against the limit (Linux ≥ 4.19), so the probe's
 * addresses are pinned, permanent, in each proxy's namespace — from a short-lived helper
 * container that shares it (the proxy images need no `ip`; the probe image has it).
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { execIn } from './exec.js';
import { LABEL_SERVICE } from './labels.js';

/** Below gc_thresh1 (128) the kernel never even collects: a handful of addresses need no pinning. */
export const PIN_ABOVE = 128;

export interface NeighbourTarget {
  /** The proxy container whose namespace gets the entries. */
  container: Docker.Container;
  /** Its address on the probe's network: names the interface the entries go on. */
  ip: string;
}

function interfaceWith(ipAddrShow: string, ip: string): string | undefined {
  for (const line of ipAddrShow.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//.exec(line.trim());
    if (m && m[2] === ip) return m[1]!.replace(/@.*$/, '');
  }
  return undefined;
}

export async function pinNeighbours(docker: Docker, probe: Docker.Container, network: string, addresses: readonly string[], targets: readonly NeighbourTarget[]): Promise<void> {
  if (addresses.length === 0) return;
  const info = await probe.inspect();
  const mac = info.NetworkSettings.Networks[network]?.MacAddress;
  if (!mac) throw new EnvironmentError(`the probe has no MAC address on ${network}`);
  for (const target of targets) {
    const helper = await docker.createContainer({
      Image: info.Config.Image,
      Cmd: ['sleep', '120'],
      // The probe's labels (lab, run, dir): a helper left behind by a killed run goes with `down`.
      Labels: { ...info.Config.Labels, [LABEL_SERVICE]: 'probe-neighbours' },
      HostConfig: { NetworkMode: `container:${target.container.id}`, CapAdd: ['NET_ADMIN'], AutoRemove: true },
    });
    try {
      await helper.start();
      const iface = interfaceWith((await execIn(helper, ['ip', '-o', '-4', 'addr', 'show'])).stdout, target.ip);
      if (!iface) throw new EnvironmentError(`no interface with ${target.ip} in the proxy's network namespace`);
      const batch = addresses.map((a) => `neigh replace ${a} lladdr ${mac} nud permanent dev ${iface}`).join('\n');
      const pinned = await execIn(helper, ['ip', '-batch', '-'], `${batch}\n`);
      if (pinned.exitCode !== 0) throw new EnvironmentError(`pinning the client addresses' neighbour entries failed: ${pinned.stderr.trim()}`);
    } finally {
      await helper.remove({ force: true }).catch(() => undefined);
    }
  }
}
