/**
 * The lab's containers as the engine wants them: apps reachable by their app name on the lab
 * network, proxies publishing on 127.0.0.1 (and joining the client network when there is one),
 * and the probe with NET_ADMIN so it can give itself client addresses. Each is labelled at
 * creation, so an interrupted `up` leaves nothing `down --all` cannot find.
 */
import type Docker from 'dockerode';
import { PROXY_SERVICE, publishedPorts } from '../../render/compose.js';
import type { AppSpec, LabSpec, ProxyKind } from '../../lab-schema/types.js';
import { containerName, imageTag, labelsFor, PROBE_SERVICE, type LabIdentity } from './labels.js';
import type { LabNetworks } from './network.js';
import { putRecipeFiles, recipeProcess } from './recipe-files.js';
import type { ServiceRecipe } from '../../render/recipes.js';

/** The spec travels on the proxy containers, so `status` can describe a lab whose directory is gone. */
export const LABEL_SPEC = 'io.haplab.spec';

/**
 * What a service's container runs: its own built image, or its base image with the recipe's
 * process and files (recipe-files.ts).
 */
export type ServiceImage = { built: true } | { built: false; base: string; recipe: ServiceRecipe };

async function createServiceContainer(docker: Docker, id: LabIdentity, service: string, image: ServiceImage, options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  const container = await docker.createContainer({
    ...options,
    name: containerName(id.lab, service),
    ...(image.built ? { Image: imageTag(id.lab, service) } : { Image: image.base, ...recipeProcess(image.recipe) }),
  });
  if (!image.built) await putRecipeFiles(container, id.dir, image.recipe);
  return container;
}

export async function createAppContainer(docker: Docker, id: LabIdentity, networks: LabNetworks, app: AppSpec, image: ServiceImage): Promise<Docker.Container> {
  return createServiceContainer(docker, id, app.name, image, {
    Labels: labelsFor(id, 'app', app.name),
    ExposedPorts: { [`${app.port}/tcp`]: {} },
    HostConfig: { NetworkMode: networks.lab, RestartPolicy: { Name: 'no' } },
    NetworkingConfig: { EndpointsConfig: { [networks.lab]: { Aliases: [app.name] } } },
  });
}

export async function createProxyContainer(docker: Docker, id: LabIdentity, networks: LabNetworks, spec: LabSpec, proxy: ProxyKind, image: ServiceImage): Promise<Docker.Container> {
  const service = PROXY_SERVICE[proxy];
  const ports = publishedPorts(spec, proxy);
  const container = await createServiceContainer(docker, id, service, image, {
    Labels: { ...labelsFor(id, proxy, service), [LABEL_SPEC]: JSON.stringify(spec) },
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.container}/tcp`, {}])),
    HostConfig: {
      NetworkMode: networks.lab,
      RestartPolicy: { Name: 'no' },
      // 127.0.0.1 only: the lab is for this machine.
      PortBindings: Object.fromEntries(ports.map((p) => [`${p.container}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(p.host) }]])),
    },
    NetworkingConfig: { EndpointsConfig: { [networks.lab]: { Aliases: [service] } } },
  });
  // Engines before API 1.44 take one network at creation; the second is joined before start.
  if (networks.clients) await docker.getNetwork(networks.clients).connect({ Container: container.id, EndpointConfig: { Aliases: [service] } });
  return container;
}

export async function createProbeContainer(docker: Docker, id: LabIdentity, networks: LabNetworks, image: string): Promise<Docker.Container> {
  const container = await docker.createContainer({
    name: containerName(id.lab, PROBE_SERVICE),
    Image: image,
    Labels: labelsFor(id, 'probe', PROBE_SERVICE),
    Cmd: ['sleep', 'infinity'],
    HostConfig: { NetworkMode: networks.lab, CapAdd: ['NET_ADMIN'], RestartPolicy: { Name: 'no' } },
    NetworkingConfig: { EndpointsConfig: { [networks.lab]: { Aliases: [PROBE_SERVICE] } } },
  });
  // On the lab network it checks that the apps answer; on the client network it speaks from the ACLs' ranges.
  if (networks.clients) await docker.getNetwork(networks.clients).connect({ Container: container.id, EndpointConfig: { Aliases: [PROBE_SERVICE] } });
  return container;
}
