/**
 * Every episode, and a few non-default choices, render to files the real tools accept:
 * Debian's `haproxy -c`, `python3 -m py_compile`, and a compose file with every service,
 * build context, port and dependency the spec implies.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/proxy/config/index.js';
import { writeLab } from '../../src/render/lab.js';
import { catalogueIds, loadEpisode } from '../../src/lab-schema/catalogue.js';
import { customizeSpec, type LabChoices } from '../../src/lab-schema/customize.js';
import { primaryBackend, STATS_PORT_OFFSET, TLS_CERT_FILE, TLS_CERT_PATH, TS_PORT_OFFSET, type LabSpec } from '../../src/lab-schema/types.js';
import { describeWithTool, DIST, HAPROXY, HAPROXY_BIN, itWithTool, PYTHON, PYTHON3 } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-render-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  name: string;
  episode: string;
  choices: LabChoices;
}

const ids = await catalogueIds();
const cases: Case[] = [
  ...ids.map((id) => ({ name: id, episode: id, choices: {} })),
  { name: 'ep09 with 5 servers', episode: 'ep09', choices: { servers: 5 } },
  { name: 'ep09 weights 5,1,1,3', episode: 'ep09', choices: { servers: 4, weights: [5, 1, 1, 3] } },
  { name: 'ep07 uri hashing', episode: 'ep07', choices: { algorithm: 'uri' } },
  { name: 'ep05 TypeScript proxy', episode: 'ep05', choices: { proxy: 'ts' } },
  { name: 'ep04 both proxies', episode: 'ep04', choices: { proxy: 'both' } },
];

for (const { name, episode, choices } of cases) {
  const spec: LabSpec = customizeSpec(await loadEpisode(episode), choices);
  // A lab with haplab's TypeScript proxy carries its compiled code (npm test builds first).
  describeWithTool(spec.proxy === 'haproxy' ? [] : [DIST], name, () => {
    const dir = join(root, name.replace(/[^a-z0-9]+/gi, '-'));
    let written: string[];

    beforeAll(async () => {
      written = await writeLab(spec, dir);
    });

    it('writes the lab directory', () => {
      expect(written).toContain('lab.yaml');
      expect(written).toContain('docker-compose.yml');
    });

    itWithTool(HAPROXY, 'haproxy -c accepts haproxy.cfg', () => {
      const services = spec.proxy === 'both' ? ['haproxy', 'tsproxy'] : [spec.proxy === 'ts' ? 'tsproxy' : 'haproxy'];
      for (const service of services) {
        let cfg = join(dir, service, 'haproxy.cfg');
        // ep13's `ssl crt` names the certificate's path inside the image; here it is the lab's own copy.
        const text = readFileSync(cfg, 'utf8');
        if (text.includes(TLS_CERT_PATH)) {
          expect(existsSync(join(dir, service, TLS_CERT_FILE)), `${service}/${TLS_CERT_FILE} was not written`).toBe(true);
          cfg = join(dir, service, 'haproxy.host.cfg');
          writeFileSync(cfg, text.replaceAll(TLS_CERT_PATH, join(dir, service, TLS_CERT_FILE)));
        }
        // Server names (app1…) resolve only on the lab network; the config's
        // `default-server init-addr last,libc,none` lets the check pass without them.
        const out = execFileSync(HAPROXY_BIN, ['-c', '-f', cfg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        expect(out).toMatch(/Configuration file is valid/);
      }
    });

    it("haplab's TypeScript proxy accepts the same haproxy.cfg", async () => {
      const cfg = join(dir, spec.proxy === 'ts' ? 'tsproxy' : 'haproxy', 'haproxy.cfg');
      const config = await loadConfigFile(cfg);
      expect(config.frontends.map((f) => f.name)).toEqual(expect.arrayContaining(spec.frontends.map((f) => f.name)));
      expect(config.warnings).toEqual([]);
    });

    itWithTool(PYTHON3, 'python3 -m py_compile accepts every Flask app', () => {
      for (const app of spec.apps) {
        execFileSync(PYTHON, ['-m', 'py_compile', join(dir, 'apps', app.name, 'app.py')], { stdio: 'pipe' });
      }
    });

    it('docker-compose.yml has every service, build file, port and dependency', () => {
      const compose = parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')) as {
        services: Record<string, { build: { context: string }; ports?: string[]; depends_on?: string[]; labels: Record<string, string> }>;
      };
      const proxies = spec.proxy === 'both' ? ['haproxy', 'tsproxy'] : [spec.proxy === 'ts' ? 'tsproxy' : 'haproxy'];
      expect(Object.keys(compose.services).sort()).toEqual([...spec.apps.map((a) => a.name), ...proxies].sort());
      for (const [service, def] of Object.entries(compose.services)) {
        expect(existsSync(join(dir, def.build.context, 'Dockerfile')), `${service} Dockerfile`).toBe(true);
        expect(def.labels['io.haplab.lab']).toBeTruthy();
      }
      for (const proxy of proxies) {
        const offset = proxy === 'tsproxy' ? TS_PORT_OFFSET : 0;
        const expected = spec.frontends.map((f) => `127.0.0.1:${f.hostPort + offset}:${f.bind}`);
        expected.push(`127.0.0.1:${spec.frontends[0]!.hostPort + STATS_PORT_OFFSET + offset}:8404`);
        expect(compose.services[proxy]!.ports).toEqual(expected);
        expect(compose.services[proxy]!.depends_on!.sort()).toEqual(spec.apps.map((a) => a.name).sort());
      }
      for (const app of spec.apps) expect(compose.services[app.name]!.ports).toBeUndefined();
    });

    it('haproxy.cfg carries the spec: servers, weights, balance', () => {
      const cfg = readFileSync(join(dir, spec.proxy === 'ts' ? 'tsproxy' : 'haproxy', 'haproxy.cfg'), 'utf8');
      const backend = primaryBackend(spec);
      for (const s of backend.servers) {
        const app = spec.apps.find((a) => a.name === s.app)!;
        const weight = s.weight === 1 ? '' : ` weight ${s.weight}`;
        expect(cfg).toContain(`server ${s.name} ${app.name}:${app.port}${weight}`);
      }
      if (choices.weights) expect(backend.servers.map((s) => s.weight)).toEqual(choices.weights);
      if (choices.servers) expect(backend.servers).toHaveLength(choices.servers);
      if (choices.algorithm === 'uri') expect(cfg).toMatch(/balance uri\n\s+hash-type consistent/);
    });
  });
}

it('ep08 writes the spelling HAProxy 2.6 accepts, and says why', async () => {
  const dir = join(root, 'ep08-note');
  await writeLab(await loadEpisode('ep08'), dir);
  const cfg = readFileSync(join(dir, 'haproxy', 'haproxy.cfg'), 'utf8');
  expect(cfg).toContain('balance random(2)');
  expect(cfg).not.toMatch(/^\s*random draw/m);
  expect(cfg).toMatch(/#.*random draw 2.*\n(#.*\n)*#.*random\(2\)/);
});
