/** Writes a self-contained lab directory from a spec: every later command needs only this directory. */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { EnvironmentError } from '../errors.js';
import { distDir } from '../paths.js';
import { offlineImages } from '../lab-schema/images.js';
import { TLS_CA_FILE, TLS_CERT_FILE, TLS_HOST, type LabSpec } from '../lab-schema/types.js';
import { makeLabTls } from './tls/lab-ca.js';
import { PROXY_SERVICE, proxiesOf, publishedPorts, renderCompose } from './compose.js';
import { renderTemplate } from './engine.js';
import { renderFlaskApp } from './flask.js';
import { appRecipe, proxyRecipe, renderDockerfile } from './recipes.js';
import { renderHaproxyCfg } from './haproxy-cfg.js';
import { prepareLabDir, SPEC_FILE, writeInside, type PreparedDir } from './lab-dir.js';

export { SPEC_FILE };

/** The lab's name: its directory's name, made safe for Docker labels and names. */
export function labNameOf(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return name || 'lab';
}

export interface WriteOptions {
  force?: boolean;
}

/** Writes the lab into `dir`; if that fails, a directory this run created is removed again. */
export async function writeLab(spec: LabSpec, dir: string, options: WriteOptions = {}): Promise<string[]> {
  const target = await prepareLabDir(resolve(dir), options.force ?? false);
  try {
    return await writeLabFiles(spec, target);
  } catch (err) {
    if (target.created) await rm(target.created, { recursive: true, force: true });
    throw err;
  }
}

async function writeLabFiles(spec: LabSpec, target: PreparedDir): Promise<string[]> {
  const { dir } = target;
  const lab = labNameOf(dir);
  const written: string[] = [];
  const put = async (rel: string, content: string) => {
    await writeInside(target, rel, content);
    written.push(rel);
  };

  await put(SPEC_FILE, `# haplab lab spec (${spec.id}); every file here is generated from it.\n${stringify(spec, { lineWidth: 0 })}`);
  for (const app of spec.apps) {
    await put(`apps/${app.name}/app.py`, renderFlaskApp(spec, app));
    await put(`apps/${app.name}/Dockerfile`, renderDockerfile(appRecipe(app)));
    for (const [rel, content] of Object.entries(app.files ?? {})) await put(`apps/${app.name}/${rel}`, content);
  }
  const cfg = renderHaproxyCfg(spec);
  // ep13: a throwaway CA and a certificate for the lab, made anew by every `new` (never checked in).
  const tls = spec.frontends.some((f) => f.tls) ? await makeLabTls(lab, [TLS_HOST, 'localhost', '127.0.0.1']) : undefined;
  if (tls) {
    await put(TLS_CA_FILE, tls.caPem);
    await put('.gitignore', `# The lab's TLS material: made by \`haplab new\`, private to this machine.\n/${TLS_CA_FILE}\n/*/${TLS_CERT_FILE}\n`);
  }
  for (const proxy of proxiesOf(spec)) {
    const service = PROXY_SERVICE[proxy];
    await put(`${service}/haproxy.cfg`, cfg);
    if (tls) await put(`${service}/${TLS_CERT_FILE}`, tls.sitePem);
    await put(`${service}/Dockerfile`, renderDockerfile(proxyRecipe(spec, proxy)));
    if (proxy === 'ts') {
      await copyCompiledProxy(join(dir, service, 'proxy'));
      written.push(`${service}/proxy/`);
    }
  }
  await put('docker-compose.yml', renderCompose(spec, lab));
  await put('README.md', renderTemplate('lab-readme.md', { spec, lab, offlineBase: offlineImages().node, notes: spec.notes ?? [], proxies: proxiesOf(spec), ports: (p: 'haproxy' | 'ts') => publishedPorts(spec, p) }));
  return written;
}

/** The proxy image gets only the compiled proxy and what it imports (no node_modules). */
async function copyCompiledProxy(target: string): Promise<void> {
  const source = join(distDir, 'src');
  if (!existsSync(join(source, 'proxy', 'main.js'))) {
    throw new EnvironmentError(`the compiled TypeScript proxy is missing (${join(source, 'proxy', 'main.js')})`, 'run `npm run build` in the haplab package');
  }
  await mkdir(join(target, 'src'), { recursive: true });
  await cp(join(source, 'proxy'), join(target, 'src', 'proxy'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  await cp(join(source, 'errors.js'), join(target, 'src', 'errors.js'));
  await writeFile(join(target, 'package.json'), '{ "type": "module" }\n');
}
