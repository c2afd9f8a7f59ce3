/**
 * Host ports: a lab publishes fixed ports on 127.0.0.1, so a port someone else holds is the
 * most common reason `up` cannot work. Found before anything is made, and said with who
 * holds it when that is another haplab lab.
 */
import { createServer } from 'node:net';
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { LABEL_DIR, LABEL_LAB, labFilter } from './labels.js';

function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The haplab lab (and its directory) whose container publishes `port`, if any. */
export async function labHoldingPort(docker: Docker, port: number): Promise<{ lab: string; dir?: string } | undefined> {
  const containers = await docker.listContainers({ filters: labFilter() });
  const holder = containers.find((c) => c.Ports.some((p) => p.PublicPort === port));
  return holder ? { lab: holder.Labels[LABEL_LAB]!, dir: holder.Labels[LABEL_DIR] } : undefined;
}

export async function portInUseError(docker: Docker, port: number): Promise<EnvironmentError> {
  const holder = await labHoldingPort(docker, port).catch(() => undefined);
  if (holder) {
    return new EnvironmentError(
      `host port 127.0.0.1:${port} is in use by haplab lab ${holder.lab}${holder.dir ? ` (${holder.dir})` : ''}`,
      `take it down first: haplab down ${holder.dir ?? '--all'}`,
    );
  }
  return new EnvironmentError(`host port 127.0.0.1:${port} is in use by another program`, `stop it, or change hostPort in the lab's lab.yaml`);
}

/** Throws the environment error for the first port that is taken. */
export async function assertPortsFree(docker: Docker, ports: number[]): Promise<void> {
  for (const port of ports) {
    if (!(await canListen(port))) throw await portInUseError(docker, port);
  }
}

/** The port a container start failed on, from the engine's message ("…127.0.0.1:8090 failed: port is already allocated"). */
export function portFromStartError(message: string): number | undefined {
  if (!/already allocated|address already in use/i.test(message)) return undefined;
  const m = /(?:127\.0\.0\.1|0\.0\.0\.0|\[::\]|\*):(\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}
