/**
 * A minimal Debian root made with debootstrap: the offline equivalent of the
 * official python/haproxy images. It needs root and the host's debootstrap; both missing
 * are environment problems with the fix in the message.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EnvironmentError } from '../../errors.js';

export const SUITE = 'bookworm';
export const PACKAGES = ['python3-flask', 'python3-waitress', 'haproxy', 'iproute2'];

export function findDebootstrap(env: NodeJS.ProcessEnv = process.env): string {
  // /usr/sbin is not on every user's PATH, but that is where Debian puts it.
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
  const found = dirs.map((d) => `${d}/debootstrap`).find((p) => existsSync(p));
  if (!found) throw new EnvironmentError('debootstrap is not installed', 'install it (`sudo apt-get install debootstrap`) and run `haplab images --offline` again');
  return found;
}

export interface DebootstrapOptions {
  target: string;
  mirror: string;
  /** Each progress line debootstrap prints ("I: Retrieving …"). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export async function debootstrap(options: DebootstrapOptions): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EnvironmentError('building the offline images needs root (debootstrap creates device files and sets owners)', 'run `sudo haplab images --offline`');
  }
  const command = findDebootstrap();
  const args = ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, options.target, options.mirror];
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').map((l) => l.trim()).filter(Boolean)) {
        tail.push(line);
        if (tail.length > 15) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new EnvironmentError(`debootstrap ${SUITE} from ${options.mirror} failed (exit ${code}): ${tail.slice(-5).join(' | ')}`, 'check that the mirror is reachable (see /etc/apt/sources.list*), or set HAPLAB_DEBIAN_MIRROR');
  }
}
