/**
 * Fault injection for failover checks: one app is killed (stop) or frozen (pause), then
 * brought back. A restarted app must answer again before resume returns.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import type { LabInstance } from '../types.js';
import { labContainers } from './instance.js';
import { PROBE_SERVICE } from './labels.js';
import { waitForApps } from './ready.js';
import { execIn } from './exec.js';
import { HEALTH_FLAG_FILE } from '../../lab-schema/types.js';

async function appContainer(docker: Docker, instance: LabInstance, app: string): Promise<Docker.Container> {
  if (!instance.spec.apps.some((a) => a.name === app)) throw new EnvironmentError(`lab ${instance.lab} has no app ${app}`);
  const entry = (await labContainers(docker, instance.lab))[0];
  const info = entry?.byService.get(app);
  if (!info) throw new EnvironmentError(`lab ${instance.lab} has no container for ${app}`, `run \`haplab up ${instance.dir}\``);
  return docker.getContainer(info.Id);
}

export async function disruptApp(docker: Docker, instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void> {
  const container = await appContainer(docker, instance, app);
  // kill, not stop: python as PID 1 ignores SIGTERM, and a stop would wait out its grace period.
  if (how === 'stop') await container.kill();
  else await container.pause();
}

export async function resumeApp(docker: Docker, instance: LabInstance, app: string, how: 'stop' | 'pause'): Promise<void> {
  const container = await appContainer(docker, instance, app);
  if (how === 'pause') {
    await container.unpause();
    return;
  }
  await container.start();
  const spec = { ...instance.spec, apps: instance.spec.apps.filter((a) => a.name === app) };
  const entry = (await labContainers(docker, instance.lab))[0];
  const probe = docker.getContainer(entry!.byService.get(PROBE_SERVICE)!.Id);
  await waitForApps({ docker, spec, containers: new Map([[app, container]]), deadline: Date.now() + 30_000 }, probe);
}

/** ep11: creates or removes the app's health flag file in /app (root: the app runs unprivileged). */
export async function setHealthFlag(docker: Docker, instance: LabInstance, app: string, healthy: boolean): Promise<void> {
  const container = await appContainer(docker, instance, app);
  const flag = `/app/${HEALTH_FLAG_FILE}`;
  const result = await execIn(container, healthy ? ['rm', '-f', flag] : ['touch', flag], undefined, 'root');
  if (result.exitCode !== 0) throw new EnvironmentError(`could not ${healthy ? 'remove' : 'create'} ${flag} in ${app}: ${result.stderr.trim()}`);
}
