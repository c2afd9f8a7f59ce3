/**
 * The Prober for a swarm lab: requests leave from the probe service's task, on the lab's
 * overlay network, to each proxy by its service name (dnsrr: the proxy's task address) and
 * the frontend's own port — the same agent the docker runtime runs (src/probe/agent.ts).
 * It speaks from one address, the probe's: extra source addresses on an overlay interface
 * get no answers back (the overlay only knows the addresses swarm gave out), so checks that
 * need many client addresses or a rule's ranges are skipped by the verifier, never passed.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import type { ResolvedRequest } from '../../probe/send.js';
import { PROXY_SERVICE, proxiesOf } from '../../render/compose.js';
import type { ProxyKind } from '../../lab-schema/types.js';
import type { LabInstance, Prober, ProbeBatchOptions, ProbeRequest, ProbeResponse } from '../types.js';
import { runAgent } from '../docker/agent-client.js';
import { runtimeApiIn } from '../docker/runtime-api.js';
import { contains, ipToInt, parseCidr } from '../docker/addresses.js';
import { PROBE_SERVICE } from '../docker/labels.js';
import { overlayName, serviceName, taskContainer } from './objects.js';

export async function probeContainer(docker: Docker, lab: string): Promise<Docker.Container> {
  const probe = await taskContainer(docker, serviceName(lab, PROBE_SERVICE));
  if (!probe) throw new EnvironmentError(`lab ${lab} has no running probe task on this node`, 'run `haplab up` on the lab again');
  return probe;
}

export async function createSwarmProber(docker: Docker, instance: LabInstance): Promise<Prober> {
  const probe = await probeContainer(docker, instance.lab);
  const info = await probe.inspect();
  const address = info.NetworkSettings.Networks[overlayName(instance.lab)]?.IPAddress;
  if (!address) throw new EnvironmentError(`the probe of lab ${instance.lab} has no address on ${overlayName(instance.lab)}`);
  return new SwarmProber(docker, instance, probe, address);
}

class SwarmProber implements Prober {
  readonly sourceRange: string;
  readonly origin = "the probe service, on the lab's overlay network";

  constructor(private readonly docker: Docker, private readonly instance: LabInstance, private readonly probe: Docker.Container, private readonly address: string) {
    this.sourceRange = `${address}/32`;
  }

  async clientAddresses(count: number, subnet?: string): Promise<string[]> {
    const inside = subnet === undefined || contains(parseCidr(subnet), ipToInt(this.address));
    if (count <= 1 && inside) return [this.address];
    throw new EnvironmentError(
      `the swarm runtime's probe speaks from one address (${this.address}); ${count} client addresses${subnet ? ` in ${subnet}` : ''} were asked for`,
      'run this lab on the docker runtime (--runtime docker) for checks that need many client addresses',
    );
  }

  async send(requests: ProbeRequest[], options?: ProbeBatchOptions): Promise<ProbeResponse[]> {
    const running = new Set(proxiesOf(this.instance.spec));
    const frontends = new Map(this.instance.spec.frontends.map((f) => [f.name, f]));
    const resolved: ResolvedRequest[] = requests.map((r) => {
      const frontend = frontends.get(r.frontend);
      if (!running.has(r.proxy)) throw new EnvironmentError(`lab ${this.instance.lab} runs no ${r.proxy} proxy`);
      if (!frontend) throw new EnvironmentError(`lab ${this.instance.lab} has no frontend ${r.frontend}`);
      return { ...r, target: { host: PROXY_SERVICE[r.proxy], port: frontend.bind } };
    });
    if (resolved.length === 0) return [];
    const { responses } = await runAgent(this.probe, { op: 'send', requests: resolved, options });
    return responses;
  }

  /** The proxy's task container on this node: its runtime API, as on the docker runtime. */
  async runtimeApi(proxy: ProxyKind, command: string): Promise<string | undefined> {
    const container = await taskContainer(this.docker, serviceName(this.instance.lab, PROXY_SERVICE[proxy])).catch(() => undefined);
    return container ? runtimeApiIn(container, command) : undefined;
  }

  async close(): Promise<void> {
    // Nothing held: each batch is its own exec.
  }
}
