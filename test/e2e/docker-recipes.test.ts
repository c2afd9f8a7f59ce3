/**
 * On a real engine: `up` makes a service whose Dockerfile is as generated from its base
 * image with the Dockerfile's files, user, working directory and command
 * (src/runtime/docker/recipe-files.ts), and builds a service whose Dockerfile the learner
 * edited, so the edit counts. Either way the lab answers, and `down --images` leaves no image.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { offlineImages } from '../../src/lab-schema/images.js';
import { execIn } from '../../src/runtime/docker/exec.js';
import { runCli } from '../helpers/cli.js';
import { describeDocker, engine, ensureBuilt, labelledObjects, writeEpisodeLab } from './docker-helpers.js';

const LAB = 'e2e-recipes';

describeDocker('docker runtime: services made from their recipe, edited Dockerfiles built', () => {
  let docker: Docker;
  let dir: string;
  const container = (service: string) => docker.getContainer(`haplab-${LAB}-${service}`);
  const inside = async (service: string, cmd: string[]) => {
    const result = await execIn(container(service), cmd);
    expect(result.exitCode, `${cmd.join(' ')} in ${service}: ${result.stderr}`).toBe(0);
    return result.stdout.trim();
  };

  beforeAll(async () => {
    ensureBuilt();
    docker = await engine();
    dir = await writeEpisodeLab('ep09', LAB, { proxy: 'both' });
  }, 120_000);

  afterAll(async () => {
    if (dir) await runCli(['down', dir, '--images']).catch(() => undefined);
  });

  it('builds only the edited Dockerfile; the others run their base with the same files, user, directory and command', async () => {
    await appendFile(join(dir, 'apps', 'app2', 'Dockerfile'), 'ENV HAPLAB_EDITED=app2\n');
    // A file the learner added: COPY . /app takes it, so the recipe must too.
    await writeFile(join(dir, 'apps', 'app1', 'notes.txt'), 'added by hand\n');
    const up = await runCli(['up', dir, '--runtime', 'docker'], { timeoutMs: 240_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout + up.stderr).toContain('building 1 of 5 images (app2) and the probe');

    const app2 = await container('app2').inspect();
    expect(app2.Config.Image).toBe(`haplab-${LAB}-app2:latest`);
    expect(app2.Config.Env).toContain('HAPLAB_EDITED=app2');

    const app1 = await container('app1').inspect();
    expect(app1.Config.Image).toBe(offlineImages().base);
    expect({ user: app1.Config.User, dir: app1.Config.WorkingDir, cmd: app1.Config.Cmd }).toEqual({ user: '10001', dir: '/app', cmd: ['python3', 'app.py'] });
    expect(await inside('app1', ['cat', '/app/notes.txt'])).toBe('added by hand');
    expect(await inside('app1', ['cat', '/app/app.py'])).toBe((await readFile(join(dir, 'apps', 'app1', 'app.py'), 'utf8')).trim());
    // Owned by root as COPY leaves them; the app runs unprivileged and reads them.
    expect(await inside('app1', ['stat', '-c', '%u:%g', '/app/app.py'])).toBe('0:0');
    expect(await inside('app1', ['id', '-u'])).toBe('10001');

    const ts = await container('tsproxy').inspect();
    expect(ts.Config.Image).toBe(offlineImages().node);
    expect(await inside('tsproxy', ['cat', '/haplab/haproxy.cfg'])).toBe((await readFile(join(dir, 'tsproxy', 'haproxy.cfg'), 'utf8')).trim());
    expect(await inside('tsproxy', ['test', '-f', '/haplab/src/proxy/main.js', '-a', '-f', '/haplab/package.json'])).toBe('');
    const haproxy = await container('haproxy').inspect();
    expect(haproxy.Config.Image).toBe(offlineImages().base);
    expect(await inside('haproxy', ['cat', '/usr/local/etc/haproxy/haproxy.cfg'])).toBe((await readFile(join(dir, 'haproxy', 'haproxy.cfg'), 'utf8')).trim());

    // The lab's only images: the edited app's and the lab's copy of its base.
    const images = await docker.listImages({ filters: { label: [`io.haplab.lab=${LAB}`] } });
    expect(images.flatMap((i) => i.RepoTags ?? []).sort()).toEqual([`haplab-${LAB}-app2:latest`, `haplab-${LAB}-base-python:latest`]);

    const down = await runCli(['down', dir, '--images']);
    expect(down.code, down.stderr).toBe(0);
    expect(await labelledObjects(docker, LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect(await docker.listImages({ filters: { label: [`io.haplab.lab=${LAB}`] } })).toEqual([]);
  }, 300_000);
});
