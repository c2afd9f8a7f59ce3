/**
 * A three-node Docker Swarm on one machine, for test/e2e/swarm-nodes.test.ts: the host's
 * engine as the manager, and two containers each running its own `dockerd` as workers, on
 * a bridge network this file makes. The workers run Debian's docker.io (installed into
 * haplab's offline base image once: SWARM_NODE_IMAGE, kept like the base images) with the
 * capabilities dockerd needs rather than --privileged, which fails on hosts without
 * CAP_SYS_RESOURCE. Each worker's API answers on its address on that network (port 2375,
 * no TLS: reachable from this host only), which its node label io.haplab.engine tells
 * haplab, as the README asks of any multi-node swarm.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { pack } from 'tar-fs';
import { offlineImages } from '../../src/lab-schema/images.js';
import { ENGINE_LABEL } from '../../src/runtime/swarm/nodes.js';

export const SWARM_NODE_IMAGE = 'haplab-test/swarm-node:1';
/** Off Docker's default pools' first picks and off ep04's 192.168.0.0/20. */
const SUBNET = '172.29.213.0/24';
const GATEWAY = '172.29.213.1';
const NETWORK = 'haplab-test-swarm-nodes';
const TEST_LABEL = 'io.haplab.test';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(500);
  }
}

async function follow(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(`${what}: ${failed}`));
      else resolve();
    });
  });
}

/** Builds SWARM_NODE_IMAGE from the offline base image unless it is here already. */
export async function ensureSwarmNodeImage(docker: Docker): Promise<void> {
  if (await docker.getImage(SWARM_NODE_IMAGE).inspect().then(() => true, () => false)) return;
  const context = await mkdtemp(join(tmpdir(), 'haplab-swarm-node-'));
  try {
    await writeFile(join(context, 'Dockerfile'), [
      `FROM ${offlineImages().base}`,
      'RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*',
      '',
    ].join('\n'));
    const tar = pack(context) as unknown as NodeJS.ReadableStream;
    await follow(docker, await docker.buildImage(tar, { t: SWARM_NODE_IMAGE, labels: { [TEST_LABEL]: 'swarm-node' } }), `building ${SWARM_NODE_IMAGE}`);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

export interface Worker {
  name: string;
  address: string;
  container: Docker.Container;
  engine: Docker;
}

export interface ThreeNodeSwarm {
  manager: Docker;
  workers: Worker[];
  /** Whether this file made the swarm (and so leaves it at the end). */
  initialised: boolean;
  remove(): Promise<void>;
}

async function startWorker(docker: Docker, name: string, address: string): Promise<Worker> {
  const container = await docker.createContainer({
    name, Hostname: name, Image: SWARM_NODE_IMAGE, Labels: { [TEST_LABEL]: 'swarm-node' },
    // A worker killed mid-run and started again finds its pid files: a dockerd that was killed is not running.
    Entrypoint: ['sh', '-c', 'rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid; exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false'],
    // The node's own images and containers: a volume (overlayfs does not stack on overlayfs).
    Volumes: { '/var/lib/docker': {} },
    HostConfig: {
      CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      NetworkMode: NETWORK,
    },
    NetworkingConfig: { EndpointsConfig: { [NETWORK]: { IPAMConfig: { IPv4Address: address } } } },
  });
  await container.start();
  const engine = new Docker({ host: address, port: 2375, protocol: 'http' });
  await until(`${name}'s dockerd`, 60_000, async () => ((await engine.ping()) ? true : undefined));
  return { name, address, container, engine };
}

/**
 * The host's engine as manager (a swarm made here, advertised on the test network's gateway,
 * unless one is active already, which the caller refuses) and two workers joined to it,
 * labelled with their engine addresses. remove() undoes all of it.
 */
export async function threeNodeSwarm(manager: Docker): Promise<ThreeNodeSwarm> {
  await manager.createNetwork({ Name: NETWORK, Driver: 'bridge', Labels: { [TEST_LABEL]: 'swarm-node' }, IPAM: { Config: [{ Subnet: SUBNET, Gateway: GATEWAY }] } });
  const workers: Worker[] = [];
  let initialised = false;
  const remove = async () => {
    for (const w of workers) await w.container.remove({ force: true, v: true }).catch(() => undefined);
    for (const c of await manager.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=swarm-node`] } })) {
      await manager.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    if (initialised) {
      await manager.swarmLeave({ force: true }).catch(() => undefined);
      // Joining a swarm made the engine's docker_gwbridge: the engine goes back as it was.
      await manager.getNetwork('docker_gwbridge').remove().catch(() => undefined);
    }
    await manager.getNetwork(NETWORK).remove().catch(() => undefined);
  };
  try {
    await manager.swarmInit({ ListenAddr: `${GATEWAY}:2377`, AdvertiseAddr: GATEWAY });
    initialised = true;
    const token = ((await manager.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
    for (const [i, name] of ['hlnode-1', 'hlnode-2'].entries()) {
      const worker = await startWorker(manager, name, `172.29.213.${11 + i}`);
      workers.push(worker);
      await worker.engine.swarmJoin({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: worker.address, RemoteAddrs: [`${GATEWAY}:2377`], JoinToken: token });
    }
    for (const w of workers) await labelNode(manager, w.name, { [ENGINE_LABEL]: `tcp://${w.address}:2375` });
    return { manager, workers, initialised, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

interface NodeEntry {
  ID: string;
  Version: { Index: number };
  Spec: { Role: string; Availability: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string };
  Status?: { State?: string };
}

export async function nodesByHostname(manager: Docker): Promise<Map<string, NodeEntry>> {
  const nodes = (await manager.listNodes()) as NodeEntry[];
  return new Map(nodes.map((n) => [n.Description?.Hostname ?? n.ID, n]));
}

async function labelNode(manager: Docker, hostname: string, labels: Record<string, string>): Promise<void> {
  const node = await until(`node ${hostname} ready`, 60_000, async () => {
    const n = (await nodesByHostname(manager)).get(hostname);
    return n?.Status?.State === 'ready' ? n : undefined;
  });
  const spec = { ...node.Spec, Labels: { ...node.Spec.Labels, ...labels } };
  await manager.getNode(node.ID).update({ _query: { version: node.Version.Index }, _body: spec } as unknown as Record<string, unknown>);
}

/** Waits until the node of `hostname` has the state the manager reports (ready, down). */
export async function nodeState(manager: Docker, hostname: string, state: string, timeoutMs: number): Promise<void> {
  await until(`node ${hostname} ${state}`, timeoutMs, async () => ((await nodesByHostname(manager)).get(hostname)?.Status?.State === state ? true : undefined));
}

export { until };
