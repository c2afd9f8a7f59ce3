/**
 * The swarm's nodes as haplab needs them: which one it is talking to (the manager whose
 * engine builds the images and runs the proxies and the probe), and how to reach every
 * other node's own engine. Swarm gives no way to move an image between nodes without a
 * registry, so each other node that should run a lab's apps carries the label
 * `io.haplab.engine` with its engine's API address (`tcp://10.0.0.12:2375`,
 * `unix:///run/docker.sock`): haplab loads the apps' images there itself (node-images.ts).
 * A node without it gets no lab task: a constraint keeps the lab's services off it.
 */
import Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';

export const ENGINE_LABEL = 'io.haplab.engine';

export interface SwarmNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** ready, down, unknown, disconnected (the manager's view). */
  state: string;
  /** active, pause or drain: only active nodes take new tasks. */
  availability: string;
  /** The node's io.haplab.engine label, when it has one. */
  engine?: string;
  /** The node whose engine haplab talks to. */
  self: boolean;
}

interface ListedNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string };
  Status?: { State?: string };
}

export async function swarmNodes(docker: Docker): Promise<SwarmNode[]> {
  const info = (await docker.info()) as { Swarm?: { NodeID?: string } };
  const self = info.Swarm?.NodeID;
  const nodes = (await docker.listNodes()) as ListedNode[];
  return nodes.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'active',
    engine: n.Spec?.Labels?.[ENGINE_LABEL],
    self: n.ID === self,
  }));
}

/** The nodes other than this one that can take tasks now. */
export const otherActiveNodes = (nodes: SwarmNode[]): SwarmNode[] =>
  nodes.filter((n) => !n.self && n.state === 'ready' && n.availability === 'active');

/** dockerode's options for an engine address as the label gives it. */
export function engineOptions(address: string, node: string): Docker.DockerOptions {
  const unix = /^unix:\/\/(\/.+)$/.exec(address);
  if (unix) return { socketPath: unix[1]! };
  const tcp = /^tcp:\/\/([^:/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(address);
  if (tcp && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536) return { host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]), protocol: 'http' };
  throw new EnvironmentError(
    `node ${node}'s ${ENGINE_LABEL} label is '${address}', not an engine address`,
    `set it to tcp://HOST:PORT or unix:///PATH: docker node update --label-add ${ENGINE_LABEL}=tcp://HOST:2375 ${node}`,
  );
}

/** A client for a node's own engine (the label says where it answers). */
export function nodeEngine(node: SwarmNode): Docker {
  if (!node.engine) throw new Error(`node ${node.hostname} has no ${ENGINE_LABEL} label`);
  return new Docker(engineOptions(node.engine, node.hostname));
}

/** Placement constraints that keep a task on this node (the proxies and the probe: haplab reaches them through this engine). */
export const onThisNode = (nodes: SwarmNode[]): string[] => {
  const self = nodes.find((n) => n.self);
  return self ? [`node.id==${self.id}`] : [];
};

/** Constraints that keep a lab's apps off the nodes haplab cannot load images onto. */
export const offUnreachableNodes = (nodes: SwarmNode[]): string[] =>
  nodes.filter((n) => !n.self && !n.engine).map((n) => `node.id!=${n.id}`);
