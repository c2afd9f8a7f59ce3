/** The haproxy.cfg a local proxy reads: the lab's own, with loopback addresses and the ports actually allocated. */
import type { CfgTarget } from '../../render/haproxy-cfg.js';
import type { FrontendSpec } from '../../spec/types.js';
import { LOOPBACK } from './ports.js';

export interface LocalPorts {
  /** app name → port it listens on */
  apps: Map<string, number>;
  /** frontend name → host port this proxy binds */
  frontends: Map<string, number>;
  stats: number;
}

export function localCfgTarget(ports: LocalPorts): CfgTarget {
  return {
    serverAddress: (app) => `${LOOPBACK}:${ports.apps.get(app.name) ?? app.port}`,
    bindHost: LOOPBACK,
    bindPort: (f: FrontendSpec) => ports.frontends.get(f.name) ?? f.hostPort,
    statsPort: ports.stats,
  };
}
