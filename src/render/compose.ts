/**
 * docker-compose.yml for a person who wants to run the lab by hand, written through the
 * `yaml` package. haplab's own Docker runtime creates the same services with dockerode,
 * the same labels and the same container, image and network names.
 *
 * The form is the one both Compose v2 (`docker compose`) and Debian 12's docker-compose
 * 1.29 accept: no top-level `name:` (1.29 refuses it: "'name' does not match any of the
 * regexes: '^x-'") and no `version:` (v2 calls it obsolete); the project is the
 * directory's name. test/unit/compose.test.ts validates every catalogue lab's file against
 * the Compose Specification's schema, test/e2e/compose-by-hand.test.ts runs one with 1.29.
 */
import { stringify } from 'yaml';
import { BASE_IMAGE_ARG, OFFICIAL_IMAGES, type BaseImages } from '../lab-schema/images.js';
import { STATS_BIND_PORT, STATS_PORT_OFFSET, TS_PORT_OFFSET, type LabSpec, type ProxyKind } from '../lab-schema/types.js';

export const LABEL_LAB = 'io.haplab.lab';
export const LABEL_EPISODE = 'io.haplab.episode';
export const LABEL_RUN = 'io.haplab.run';
export const LABEL_ROLE = 'io.haplab.role';
/** The service (app name, haproxy, tsproxy, probe) a container runs or an image is for. */
export const LABEL_SERVICE = 'io.haplab.service';

/** The service (and container host) name of each proxy. */
export const PROXY_SERVICE: Record<ProxyKind, string> = { haproxy: 'haproxy', ts: 'tsproxy' };

/**
 * Where each proxy's image reads the lab's haproxy.cfg (its Dockerfile copies it there; the
 * swarm mounts its config object over it): what the proxy names in its errors.
 */
export const PROXY_CFG_PATH: Record<ProxyKind, string> = { haproxy: '/usr/local/etc/haproxy/haproxy.cfg', ts: '/haplab/haproxy.cfg' };

export function proxiesOf(spec: LabSpec): ProxyKind[] {
  return spec.proxy === 'both' ? ['haproxy', 'ts'] : [spec.proxy];
}

/** host port → container port for one proxy, 127.0.0.1 only. */
export function publishedPorts(spec: LabSpec, proxy: ProxyKind): { host: number; container: number }[] {
  const offset = proxy === 'ts' ? TS_PORT_OFFSET : 0;
  const ports = spec.frontends.map((f) => ({ host: f.hostPort + offset, container: f.bind }));
  ports.push({ host: spec.frontends[0]!.hostPort + STATS_PORT_OFFSET + offset, container: STATS_BIND_PORT });
  return ports;
}

/** The environment variable that gives every service's base image by hand (offline: haplab's node image, which has all three). */
export const BASE_IMAGE_ENV = 'HAPLAB_BASE_IMAGE';

/** Build arguments: the base image from HAPLAB_BASE_IMAGE, else the official one (the Dockerfile's default too). */
const baseImageArgs = (role: keyof BaseImages) => ({ [BASE_IMAGE_ARG]: `\${${BASE_IMAGE_ENV}:-${OFFICIAL_IMAGES[role]}}` });

/** The names of what a lab makes on an engine: one definition for compose and the docker runtime. */
export const containerName = (lab: string, service: string): string => `haplab-${lab}-${service}`;
export const imageTag = (lab: string, service: string): string => `haplab-${lab}-${service}:latest`;
export const labNetworkName = (lab: string): string => `haplab-${lab}`;
export const clientNetworkName = (lab: string): string => `haplab-${lab}-clients`;

/** The commands the file's header gives: v2's plugin and Debian's docker-compose 1.29 take the same flags. */
export const COMPOSE_UP = 'up -d --build';
/** `--rmi all`: the images carry `image:` names, which `--rmi local` leaves behind. */
export const COMPOSE_DOWN = 'down --rmi all --volumes';

interface ServiceEntry {
  build: { context: string; args: Record<string, string>; labels: Record<string, string> };
  image: string;
  container_name: string;
  ports?: string[];
  networks: string[];
  depends_on?: string[];
  labels: Record<string, string>;
}

export function renderCompose(spec: LabSpec, lab: string): string {
  const labels = (role: string, service?: string) => ({
    [LABEL_LAB]: lab, [LABEL_EPISODE]: spec.id, [LABEL_ROLE]: role, ...(service ? { [LABEL_SERVICE]: service } : {}),
  });
  // Keys in the order a reader looks for them: what is built, what it is called, where it listens, what it joins.
  const service = (
    name: string, context: string, role: string, base: keyof BaseImages, rest: Pick<ServiceEntry, 'ports' | 'networks' | 'depends_on'>,
  ): ServiceEntry => ({
    build: { context, args: baseImageArgs(base), labels: labels('image', name) },
    image: imageTag(lab, name),
    container_name: containerName(lab, name),
    ...(rest.ports ? { ports: rest.ports } : {}),
    networks: rest.networks,
    ...(rest.depends_on ? { depends_on: rest.depends_on } : {}),
    labels: labels(role, name),
  });
  const services: Record<string, ServiceEntry> = {};
  for (const app of spec.apps) {
    services[app.name] = service(app.name, `apps/${app.name}`, 'app', 'python', { networks: ['lab'] });
  }
  for (const proxy of proxiesOf(spec)) {
    const name = PROXY_SERVICE[proxy];
    services[name] = service(name, name, proxy, proxy === 'ts' ? 'node' : 'haproxy', {
      ports: publishedPorts(spec, proxy).map((p) => `127.0.0.1:${p.host}:${p.container}`),
      networks: spec.clientSubnet ? ['lab', 'clients'] : ['lab'],
      depends_on: spec.apps.map((a) => a.name),
    });
  }
  const networks: Record<string, unknown> = { lab: { name: labNetworkName(lab), labels: labels('network') } };
  if (spec.clientSubnet) {
    // Internal: no route out, so traffic from the rule's private ranges never leaves the machine.
    networks.clients = {
      name: clientNetworkName(lab), internal: true, ipam: { config: [{ subnet: spec.clientSubnet }] }, labels: labels('network'),
    };
  }
  const header = [
    `# Generated by haplab for lab ${lab} (${spec.id}). To run it by hand, in this directory:`,
    `#   Compose v2:                    docker compose ${COMPOSE_UP}`,
    `#   Debian 12's docker-compose:    docker-compose ${COMPOSE_UP}`,
    `# and to take it down (containers, networks and the images built here):`,
    `#   docker compose ${COMPOSE_DOWN}    (or docker-compose ${COMPOSE_DOWN})`,
    `# \`haplab down .\` removes it too: everything carries the ${LABEL_LAB} label.`,
    `# The images build FROM the official ones; where no registry answers, build haplab's once`,
    `# (\`haplab images --offline\`) and put ${BASE_IMAGE_ENV}=<that image> before the command.`,
    '',
  ].join('\n');
  // No anchors or aliases: the file is read by people, and each service's labels stand alone.
  return header + stringify({ services, networks }, { lineWidth: 0, aliasDuplicateObjects: false });
}
