/**
 * What the swarm runtime makes, by name and label, and how it is found and removed again:
 * services (apps, proxies, the probe), Docker config objects (each proxy's haproxy.cfg) and
 * one attachable overlay network per lab. Every object carries io.haplab.lab from creation;
 * removal goes by that label only, services first (their tasks hold the network and configs).
 * Task containers carry no haplab label: they are the swarm's, and the docker runtime, which
 * owns labelled containers, must not take them for its own.
 */
import type Docker from 'dockerode';
import { LABEL_DIR, LABEL_LAB, LABEL_SERVICE, labFilter } from '../docker/labels.js';
import { clearNode } from './node-images.js';
import { swarmNodes } from './nodes.js';

export const serviceName = (lab: string, service: string): string => `haplab-${lab}-${service}`;
export const overlayName = (lab: string): string => `haplab-${lab}-overlay`;
export const configName = (lab: string, service: string, runId: string): string => `haplab-${lab}-${service}-cfg-${runId}`;

/** The labels of a swarm service as dockerode lists it. */
export interface ListedService {
  ID: string;
  labels: Record<string, string>;
}

export async function labServices(docker: Docker, lab?: string): Promise<ListedService[]> {
  const services = (await docker.listServices({ filters: labFilter(lab) })) as { ID: string; Spec?: { Labels?: Record<string, string> } }[];
  return services.map((s) => ({ ID: s.ID, labels: s.Spec?.Labels ?? {} }));
}

/** Whether this engine is a swarm manager (services can be made and listed here). */
export async function isSwarmManager(docker: Docker): Promise<boolean> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  return info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true;
}

export interface SwarmRemoved {
  labs: Set<string>;
  dirs: Set<string>;
  services: number;
  configs: number;
  networks: number;
  images: number;
  /** Other nodes whose own engine was cleared of the lab's task containers (and images, on request). */
  nodes: string[];
  /** Other nodes whose engine did not answer, or still held a task container: what may be left there. */
  unanswered: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `done` every 250 ms for up to 30 s; what is still there afterwards shows in the next step's error. */
async function until(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 120 && !(await done()); i++) await sleep(250);
}

const ignoreGone = (err: unknown): void => {
  const code = (err as { statusCode?: number }).statusCode;
  if (code !== 404) throw err;
};

/** Removes one lab's (or every lab's) services, configs, overlay network and, on request, its images. */
export async function removeSwarmObjects(docker: Docker, lab: string | undefined, options: { images?: boolean } = {}): Promise<SwarmRemoved> {
  const removed: SwarmRemoved = { labs: new Set(), dirs: new Set(), services: 0, configs: 0, networks: 0, images: 0, nodes: [], unanswered: [] };
  const note = (labels: Record<string, string> | undefined) => {
    if (labels?.[LABEL_LAB]) removed.labs.add(labels[LABEL_LAB]);
    if (labels?.[LABEL_DIR]) removed.dirs.add(labels[LABEL_DIR]);
  };
  const filters = labFilter(lab);
  const services = await labServices(docker, lab);
  for (const s of services) {
    note(s.labels);
    await docker.getService(s.ID).remove().catch(ignoreGone);
    removed.services++;
  }
  // A removed service's task containers take a moment to go; until then its network, configs and images are in use.
  await until(async () => {
    for (const s of services) {
      const tasks = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${s.ID}`] } });
      if (tasks.length > 0) return false;
    }
    return true;
  });
  const busy = (err: unknown) => [400, 403, 409, 500].includes((err as { statusCode?: number }).statusCode ?? 0);
  const retry = async (remove: () => Promise<unknown>) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await remove();
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return;
        if (!busy(err) || attempt >= 60) throw err;
        await sleep(500);
      }
    }
  };
  const configs = (await docker.listConfigs({ filters })) as { ID: string; Spec?: { Labels?: Record<string, string> } }[];
  for (const c of configs) {
    note(c.Spec?.Labels);
    await retry(() => docker.getConfig(c.ID).remove());
    removed.configs++;
  }
  const networks = (await docker.listNetworks({ filters })).filter((n) => n.Scope === 'swarm');
  for (const n of networks) {
    note(n.Labels);
    await retry(() => docker.getNetwork(n.Id).remove());
    removed.networks++;
  }
  // The manager removes an overlay network from its nodes a moment after it accepts the removal.
  await until(async () => !(await docker.listNetworks({ filters })).some((n) => networks.some((gone) => gone.Id === n.Id)));
  if (options.images) {
    for (const image of await docker.listImages({ filters })) {
      note(image.Labels ?? undefined);
      await docker.getImage(image.Id).remove({ force: true }).catch(ignoreGone);
      removed.images++;
    }
  }
  // The other nodes' engines: their task containers go with the services; the images haplab loaded there, on request.
  for (const node of (await swarmNodes(docker)).filter((n) => !n.self && n.engine)) {
    try {
      const left = await clearNode(node, services.map((s) => s.ID), lab, options);
      removed.images += left.images;
      (left.containers ? removed.unanswered : removed.nodes).push(node.hostname);
    } catch {
      removed.unanswered.push(node.hostname);
    }
  }
  return removed;
}

/** Counts what carries the label on the swarm (tests, status): services, configs, overlay networks. */
export async function swarmObjects(docker: Docker, lab?: string): Promise<{ services: number; configs: number; networks: number }> {
  const filters = labFilter(lab);
  const [services, configs, networks] = await Promise.all([
    docker.listServices({ filters }), docker.listConfigs({ filters }), docker.listNetworks({ filters }),
  ]);
  return { services: services.length, configs: configs.length, networks: networks.filter((n) => n.Scope === 'swarm').length };
}

/** The running task container of a service on this node (the probe's, for `docker exec`). */
export async function taskContainer(docker: Docker, service: string): Promise<Docker.Container | undefined> {
  const [found] = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] } });
  return found ? docker.getContainer(found.Id) : undefined;
}

export { LABEL_SERVICE };
