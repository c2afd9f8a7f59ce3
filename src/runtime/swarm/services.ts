/**
 * The swarm objects of one lab, made through dockerode's Swarm API: an attachable overlay
 * network, each proxy's haproxy.cfg as a Docker config object (no bind mounts: a swarm's
 * nodes share no disk), and one service per app, per proxy and for the probe. Services use
 * `endpoint_mode: dnsrr`: a service's name on the network resolves to its task's own
 * address, so the proxies see the probe's address as the client (no VIP in between) and
 * haproxy.cfg's `server app1 app1:5001` lines reach the app's task directly. Nothing is
 * published on the host: swarm publishes on every interface (ingress and `mode: host`
 * alike have no host address), and haplab's labs answer on 127.0.0.1 only; the probe,
 * which runs on the overlay network, is how the lab is reached (prober.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { PROXY_CFG_PATH, PROXY_SERVICE } from '../../render/compose.js';
import type { AppSpec, LabSpec, ProxyKind } from '../../lab-schema/types.js';
import { LABEL_SPEC } from '../docker/containers.js';
import { imageTag, labelsFor, PROBE_SERVICE, type LabIdentity, type Role } from '../docker/labels.js';
import { configName, overlayName, serviceName } from './objects.js';
import { followReschedules } from './swarm-cfg.js';


export async function createOverlay(docker: Docker, id: LabIdentity): Promise<string> {
  const network = await docker.createNetwork({
    Name: overlayName(id.lab), Driver: 'overlay', Attachable: true, CheckDuplicate: true, Labels: labelsFor(id, 'network'),
  });
  return network.id;
}

interface ServiceOptions {
  name: string;
  role: Role;
  image: string;
  network: string;
  labels?: Record<string, string>;
  command?: string[];
  configs?: unknown[];
  /** Swarm placement constraints, all of which must hold. */
  constraints: string[];
}

async function createService(docker: Docker, id: LabIdentity, o: ServiceOptions): Promise<void> {
  await docker.createService({
    Name: serviceName(id.lab, o.name),
    Labels: { ...labelsFor(id, o.role, o.name), ...o.labels },
    TaskTemplate: {
      ContainerSpec: {
        Image: o.image, ...(o.command ? { Command: o.command } : {}), ...(o.configs ? { Configs: o.configs } : {}),
      },
      Networks: [{ Target: o.network, Aliases: [o.name] }],
      ...(o.constraints.length ? { Placement: { Constraints: o.constraints } } : {}),
      // A task that dies is replaced (what a swarm is for); the wait in up.ts reports one that keeps failing.
      RestartPolicy: { Condition: 'any', Delay: 1_000_000_000, MaxAttempts: 0 },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: 'dnsrr' },
  } as Docker.CreateServiceOptions);
}

/**
 * The image by its id, not its tag: a task given a tag first tries to pull it from a
 * registry (where a lab's own image is not); given an id, it uses the one built here.
 */
export async function imageId(docker: Docker, tag: string): Promise<string> {
  return ((await docker.getImage(tag).inspect()) as { Id: string }).Id;
}

/** `constraints`: the app's own placement (lab.yaml) and those that keep it off nodes haplab cannot load images onto. */
export async function createAppService(docker: Docker, id: LabIdentity, network: string, app: AppSpec, constraints: string[]): Promise<void> {
  await createService(docker, id, { name: app.name, role: 'app', image: await imageId(docker, imageTag(id.lab, app.name)), network, constraints });
}

/** `constraints`: this node (the probe is reached by `docker exec` through this engine). */
export async function createProbeService(docker: Docker, id: LabIdentity, network: string, spec: LabSpec, image: string, constraints: string[]): Promise<void> {
  // The lab's spec rides on the probe's service: list() and inspect() read it back.
  await createService(docker, id, {
    name: PROBE_SERVICE, role: 'probe', image: await imageId(docker, image), network, command: ['sleep', 'infinity'],
    labels: { [LABEL_SPEC]: JSON.stringify(spec) }, constraints,
  });
}

/**
 * The proxy's service, its haproxy.cfg (the lab's file as it stands now, made to follow
 * rescheduled tasks: swarm-cfg.ts) delivered as a config object; `constraints`: this node
 * (its runtime API is reached through this engine). Returns what was added to the file.
 */
export async function createProxyService(docker: Docker, id: LabIdentity, network: string, proxy: ProxyKind, constraints: string[]): Promise<string[]> {
  const service = PROXY_SERVICE[proxy];
  const file = join(id.dir, service, 'haproxy.cfg');
  const text = await readFile(file).catch((err: unknown) => {
    throw new EnvironmentError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, 'run `haplab new` again for this lab');
  });
  const cfg = followReschedules(text.toString('latin1'), file);
  const name = configName(id.lab, service, id.runId);
  const data = Buffer.from(cfg.text, 'latin1').toString('base64');
  const config = (await docker.createConfig({ Name: name, Labels: labelsFor(id, 'config', service), Data: data })) as { id?: string; ID?: string };
  const configId = config.id ?? config.ID;
  await createService(docker, id, {
    name: service, role: proxy, image: await imageId(docker, imageTag(id.lab, service)), network, constraints,
    configs: [{ ConfigID: configId, ConfigName: name, File: { Name: PROXY_CFG_PATH[proxy], UID: '0', GID: '0', Mode: 0o444 } }],
  });
  return cfg.notes;
}

interface Task {
  Status?: { State?: string; Err?: string; Message?: string };
  DesiredState?: string;
}

/** Services (short names) with no running task yet; throws when one's tasks keep failing. */
export async function servicesNotRunning(docker: Docker, lab: string, services: string[]): Promise<string[]> {
  const waiting: string[] = [];
  for (const s of services) {
    const tasks = (await docker.listTasks({ filters: { service: [serviceName(lab, s)] } })) as Task[];
    if (tasks.some((t) => t.Status?.State === 'running' && t.DesiredState === 'running')) continue;
    const failed = tasks.filter((t) => ['failed', 'rejected'].includes(t.Status?.State ?? ''));
    if (failed.length >= 3) {
      const why = failed.map((t) => t.Status?.Err ?? t.Status?.Message).find(Boolean) ?? 'no reason given';
      throw new EnvironmentError(`${s}'s tasks keep failing on the swarm: ${why}`, 'see `docker service ps --no-trunc` for the service; fix the lab and run `haplab up` again');
    }
    waiting.push(s);
  }
  return waiting;
}
