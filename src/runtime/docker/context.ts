/**
 * The Docker CLI's current context, when it is not "default": DOCKER_CONTEXT, else
 * `currentContext` in $DOCKER_CONFIG/config.json (~/.docker). Its endpoint is in
 * contexts/meta/<sha256 of the name>/meta.json. Only unix:// and tcp:// endpoints are
 * followed (ssh:// needs the docker CLI's own helper): others are said as the problem.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DockerContext {
  name: string;
  /** The endpoint, e.g. unix:///run/user/1000/docker.sock; undefined when it cannot be read. */
  host?: string;
  problem?: string;
}

function configDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG?.trim() || join(homedir(), '.docker');
}

export function currentContext(env: NodeJS.ProcessEnv = process.env): DockerContext | undefined {
  const dir = configDir(env);
  let name = env.DOCKER_CONTEXT?.trim();
  if (!name) {
    const config = join(dir, 'config.json');
    if (!existsSync(config)) return undefined;
    try {
      name = (JSON.parse(readFileSync(config, 'utf8')) as { currentContext?: string }).currentContext?.trim();
    } catch {
      return undefined; // the CLI would complain; the sockets are still worth trying
    }
  }
  if (!name || name === 'default') return undefined;
  const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
  try {
    const parsed = JSON.parse(readFileSync(meta, 'utf8')) as { Endpoints?: { docker?: { Host?: string } } };
    const host = parsed.Endpoints?.docker?.Host;
    if (!host) return { name, problem: `context ${name} names no docker endpoint (${meta})` };
    if (!/^(unix|tcp):\/\//.test(host)) return { name, host, problem: `context ${name} points at ${host}, which haplab cannot reach (unix:// and tcp:// only)` };
    return { name, host };
  } catch {
    return { name, problem: `context ${name} is not defined (${meta} is missing)` };
  }
}
