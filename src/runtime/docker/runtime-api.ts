/**
 * One command to the runtime API a rendered haproxy.cfg opens inside a proxy container, on
 * 127.0.0.1:RUNTIME_API_PORT (`stats socket ipv4@…`): sent through bash's /dev/tcp in that
 * container, since every proxy image has bash and none needs a client installed. Undefined
 * when nothing answers there (the line was removed from the lab's haproxy.cfg).
 */
import type Docker from 'dockerode';
import { RUNTIME_API_PORT } from '../../lab-schema/types.js';
import { execIn } from './exec.js';

export async function runtimeApiIn(container: Docker.Container, command: string): Promise<string | undefined> {
  const script = `exec 3<>/dev/tcp/127.0.0.1/${RUNTIME_API_PORT} || exit 3; printf '%s\\n' "$1" >&3; cat <&3`;
  const result = await execIn(container, ['bash', '-c', script, 'runtime-api', command]).catch(() => undefined);
  return result && result.exitCode === 0 ? result.stdout : undefined;
}
