/**
 * The Prober for a Docker lab: traffic leaves from the lab's probe container, inside the lab
 * (or client) network, so requests can come from many source addresses. Each
 * ProbeRequest's proxy+frontend is resolved to that proxy's address on the probe's network
 * and the frontend's container port; the batch runs in the container (src/probe/agent.ts).
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import type { ResolvedRequest } from '../../probe/send.js';
import { PROXY_SERVICE, proxiesOf } from '../../render/compose.js';
import type { ProxyKind } from '../../lab-schema/types.js';
import type { LabInstance, Prober, ProbeBatchOptions, ProbeRequest, ProbeResponse } from '../types.js';
import { HostProber } from '../shared/host-prober.js';
import { contains, ipToInt, parseCidr, pickAddresses, within } from './addresses.js';
import { runAgent } from './agent-client.js';
import { execIn } from './exec.js';
import { runtimeApiIn } from './runtime-api.js';
import { labContainers } from './instance.js';
import { PROBE_SERVICE } from './labels.js';
import { PIN_ABOVE, pinNeighbours, type NeighbourTarget } from './neighbours.js';
import { assignedAddresses, networksOf, subnetOf } from './network.js';

interface InterfaceAddress {
  iface: string;
  address: string;
  prefix: number;
}

/** `ip -o -4 addr show` → one entry per address. */
export function parseIpAddrShow(text: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line.trim());
    if (m) out.push({ iface: m[1]!.replace(/@.*$/, ''), address: m[2]!, prefix: Number(m[3]) });
  }
  return out;
}

async function ipOf(container: Docker.Container, network: string): Promise<string> {
  const info = await container.inspect();
  const address = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!address) throw new EnvironmentError(`${info.Name.replace(/^\//, '')} has no address on ${network}: is the lab up?`, 'run `haplab up` on the lab');
  return address;
}

export async function createDockerProber(docker: Docker, instance: LabInstance): Promise<Prober> {
  const entry = (await labContainers(docker, instance.lab))[0];
  const find = (service: string) => {
    const c = entry?.byService.get(service);
    if (!c || c.State !== 'running') throw new EnvironmentError(`lab ${instance.lab} has no running ${service}`, `run \`haplab up ${instance.dir}\``);
    return docker.getContainer(c.Id);
  };
  const networks = networksOf(instance.spec, instance.lab);
  const network = networks.clients ?? networks.lab;
  const probe = find(PROBE_SERVICE);
  const targets = new Map<ProxyKind, string>();
  const containers = new Map<ProxyKind, Docker.Container>();
  const neighbours: NeighbourTarget[] = [];
  for (const proxy of proxiesOf(instance.spec)) {
    const container = find(PROXY_SERVICE[proxy]);
    containers.set(proxy, container);
    targets.set(proxy, await ipOf(container, network));
    neighbours.push({ container, ip: targets.get(proxy)! });
  }
  const probeIp = await ipOf(probe, network);
  return new DockerProber(docker, instance, probe, network, probeIp, targets, neighbours, containers);
}

class DockerProber implements Prober {
  constructor(
    private readonly docker: Docker,
    private readonly instance: LabInstance,
    private readonly probe: Docker.Container,
    private readonly network: string,
    private readonly probeIp: string,
    private readonly proxyIps: Map<ProxyKind, string>,
    private readonly neighbours: NeighbourTarget[],
    private readonly proxyContainers: Map<ProxyKind, Docker.Container>,
  ) {}

  /** The proxy container's runtime API (runtime-api.ts). */
  async runtimeApi(proxy: ProxyKind, command: string): Promise<string | undefined> {
    const container = this.proxyContainers.get(proxy);
    return container ? runtimeApiIn(container, command) : undefined;
  }

  async clientAddresses(count: number, subnet?: string): Promise<string[]> {
    const networkCidr = parseCidr(await subnetOf(this.docker, this.network));
    const range = subnet ? parseCidr(subnet) : networkCidr;
    if (!within(networkCidr, range)) {
      throw new EnvironmentError(
        `client addresses in ${subnet} were asked for, but lab ${this.instance.lab}'s probe network is ${await subnetOf(this.docker, this.network)}`,
        'give the lab a clientSubnet covering that range in lab.yaml and scaffold it again',
      );
    }
    const shown = parseIpAddrShow((await this.exec(['ip', '-o', '-4', 'addr', 'show'])).stdout);
    const iface = shown.find((a) => a.address === this.probeIp)?.iface;
    if (!iface) throw new EnvironmentError(`the probe has no interface with ${this.probeIp}`);
    // Addresses an earlier prober already added on this interface are reused, not piled up.
    const ours = shown.filter((a) => a.iface === iface && a.address !== this.probeIp && a.prefix === 32).map((a) => a.address);
    const have = ours.filter((a) => contains(range, ipToInt(a)));
    if (have.length >= count) return have.slice(0, count);
    const taken = [...(await assignedAddresses(this.docker, this.network)), ...shown.map((a) => a.address)];
    const fresh = pickAddresses(networkCidr, range, count - have.length, taken);
    if (fresh.length < count - have.length) throw new EnvironmentError(`only ${have.length + fresh.length} free addresses in ${subnet ?? 'the lab network'}, ${count} asked for`);
    const batch = fresh.map((a) => `addr add ${a}/32 dev ${iface}`).join('\n');
    const added = await this.exec(['ip', '-batch', '-'], `${batch}\n`);
    if (added.exitCode !== 0) throw new EnvironmentError(`adding client addresses in the probe failed: ${added.stderr.trim()}`);
    // Many addresses would overflow the kernel's neighbour table in the proxies (neighbours.ts).
    if (count > PIN_ABOVE) await pinNeighbours(this.docker, this.probe, this.network, [...have, ...fresh], this.neighbours);
    return [...have, ...fresh];
  }

  async send(requests: ProbeRequest[], options?: ProbeBatchOptions): Promise<ProbeResponse[]> {
    const frontends = new Map(this.instance.spec.frontends.map((f) => [f.name, f]));
    const resolved: ResolvedRequest[] = requests.map((r) => {
      const host = this.proxyIps.get(r.proxy);
      const frontend = frontends.get(r.frontend);
      if (!host) throw new EnvironmentError(`lab ${this.instance.lab} runs no ${r.proxy} proxy`);
      if (!frontend) throw new EnvironmentError(`lab ${this.instance.lab} has no frontend ${r.frontend}`);
      return { ...r, target: { host, port: frontend.bind } };
    });
    if (resolved.length === 0) return [];
    const { responses } = await runAgent(this.probe, { op: 'send', requests: resolved, options });
    return responses;
  }

  /**
   * Each send here is a `docker exec` in the probe container (hundreds of ms): a steady
   * stream goes from this host to the proxies' published 127.0.0.1 ports instead.
   */
  forStream(): Prober {
    return new HostProber(this.instance, "this host to the proxies' published ports");
  }

  async close(): Promise<void> {
    // The addresses stay on the probe (later probers reuse them) and go with the lab.
  }

  private exec(cmd: string[], stdin?: string) {
    return execIn(this.probe, cmd, stdin);
  }
}
