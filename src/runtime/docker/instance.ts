/** What the layers above see of a running lab: endpoints on 127.0.0.1 and stats URLs, from the spec. */
import { join } from 'node:path';
import type Docker from 'dockerode';
import { PROXY_SERVICE, proxiesOf, publishedPorts } from '../../render/compose.js';
import { frontendScheme, type LabSpec } from '../../lab-schema/types.js';
import type { Endpoint, LabInstance } from '../types.js';
import { dirOf, LABEL_LAB, LABEL_SERVICE, PROBE_SERVICE, labFilter } from './labels.js';
import { LABEL_SPEC } from './containers.js';
import { isEngineContainer } from './teardown.js';

export function instanceOf(spec: LabSpec, lab: string, dir: string, notes: string[] = []): LabInstance {
  const endpoints: Endpoint[] = [];
  const stats: LabInstance['stats'] = [];
  const proxyConfigs: LabInstance['proxyConfigs'] = [];
  for (const proxy of proxiesOf(spec)) {
    // The image is built from the lab's own file as it stands (edits included).
    proxyConfigs.push({ proxy, file: join(dir, PROXY_SERVICE[proxy], 'haproxy.cfg') });
    const ports = publishedPorts(spec, proxy);
    spec.frontends.forEach((f, i) => {
      const port = ports[i]!.host;
      endpoints.push({ proxy, frontend: f.name, mode: f.mode, host: '127.0.0.1', port, url: `${frontendScheme(f)}://127.0.0.1:${port}` });
    });
    stats.push({ proxy, url: `http://127.0.0.1:${ports[ports.length - 1]!.host}/stats;csv` });
  }
  return { lab, runtime: 'docker', dir, spec, endpoints, stats, proxyConfigs, notes };
}

/** Every service a lab runs: its apps, its proxies, the probe. */
export function servicesOf(spec: LabSpec): string[] {
  return [...spec.apps.map((a) => a.name), ...proxiesOf(spec).map((p) => PROXY_SERVICE[p]), PROBE_SERVICE];
}

export interface LabContainers {
  lab: string;
  dir?: string;
  spec?: LabSpec;
  /** service → container summary */
  byService: Map<string, Docker.ContainerInfo>;
}

/** The labs that have containers, grouped (one lab, or all). */
export async function labContainers(docker: Docker, lab?: string): Promise<LabContainers[]> {
  const containers = (await docker.listContainers({ all: true, filters: labFilter(lab) })).filter(isEngineContainer);
  const labs = new Map<string, LabContainers>();
  for (const c of containers) {
    const name = c.Labels[LABEL_LAB]!;
    let entry = labs.get(name);
    if (!entry) labs.set(name, (entry = { lab: name, byService: new Map() }));
    entry.dir ??= dirOf(c.Labels);
    const service = c.Labels[LABEL_SERVICE];
    if (service) entry.byService.set(service, c);
    const specLabel = c.Labels[LABEL_SPEC];
    if (specLabel && !entry.spec) {
      try {
        entry.spec = JSON.parse(specLabel) as LabSpec;
      } catch {
        // An unreadable label only costs `status` its detail.
      }
    }
  }
  return [...labs.values()].sort((a, b) => a.lab.localeCompare(b.lab));
}

/** Whether every service of the lab has a running container. */
export function isComplete(entry: LabContainers, spec: LabSpec): boolean {
  return servicesOf(spec).every((s) => entry.byService.get(s)?.State === 'running');
}
