/**
 * Finds a Docker engine the way the Docker CLI does: DOCKER_HOST when set (and only it),
 * else the current Docker context when it is not "default" (and only it), else the system socket, else the rootless one (and Docker Desktop's per-user socket).
 * The first that answers a ping wins; none answering is an environment problem (exit 3)
 * said in one line: where we looked and how to start an engine.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { currentContext } from './context.js';

export interface Engine {
  docker: Docker;
  /** Where it answered, e.g. "unix:///var/run/docker.sock". */
  where: string;
  /** How it was found: "DOCKER_HOST", "docker context NAME", "the system socket"… */
  how: string;
}

interface Candidate {
  /** How the user would recognise it ("DOCKER_HOST=…", "/var/run/docker.sock"). */
  label: string;
  where: string;
  how: string;
  connect: () => Docker;
}

const PING_TIMEOUT_MS = 3_000;

function candidates(env: NodeJS.ProcessEnv): Candidate[] {
  const host = env.DOCKER_HOST?.trim();
  if (host) {
    // dockerode's modem reads DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) itself.
    return [{ label: `DOCKER_HOST=${host}`, where: host, how: 'DOCKER_HOST', connect: () => new Docker() }];
  }
  const context = currentContext(env);
  if (context) {
    const how = `docker context ${context.name}`;
    const endpoint = context.host;
    if (context.problem || !endpoint) return [{ label: how, where: endpoint ?? how, how, connect: () => { throw new Error(context.problem); } }];
    return [{ label: `${how} (${endpoint})`, where: endpoint, how, connect: () => dockerAt(endpoint) }];
  }
  const runtimeDir = env.XDG_RUNTIME_DIR ?? (typeof process.getuid === 'function' ? `/run/user/${process.getuid()}` : undefined);
  const sockets: [string, string][] = [['/var/run/docker.sock', 'the system socket']];
  if (runtimeDir) sockets.push([join(runtimeDir, 'docker.sock'), 'the rootless socket']);
  sockets.push([join(homedir(), '.docker', 'run', 'docker.sock'), "Docker Desktop's socket"]);
  const seen = new Set<string>();
  return sockets.filter(([path]) => !seen.has(path) && seen.add(path)).map(([socketPath, how]) => ({
    label: socketPath,
    where: `unix://${socketPath}`,
    how,
    connect: () => new Docker({ socketPath }),
  }));
}

/** A context's endpoint: unix:///path or tcp://host:port. */
function dockerAt(endpoint: string): Docker {
  if (endpoint.startsWith('unix://')) return new Docker({ socketPath: endpoint.slice('unix://'.length) });
  const url = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

async function ping(docker: Docker): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

export async function findEngine(env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  const tried: string[] = [];
  for (const candidate of candidates(env)) {
    let docker: Docker;
    try {
      docker = candidate.connect();
      await ping(docker);
    } catch (err) {
      tried.push(`${candidate.label} (${reasonOf(err)})`);
      continue;
    }
    return { docker, where: candidate.where, how: candidate.how };
  }
  const start = 'start one with `sudo systemctl start docker` or `sudo dockerd` (rootless: `dockerd-rootless.sh`)';
  const hint = env.DOCKER_HOST ? `${start} where DOCKER_HOST points, or unset DOCKER_HOST to use the local socket` : start;
  throw new EnvironmentError(`no Docker engine answered at ${tried.join(', ')}`, hint);
}
