/**
 * configDrift: the running haproxy.cfg against the one lab.yaml renders, both parsed. Each
 * case edits the rendered text the way a learner would and asserts the exact lines.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { renderHaproxyCfg } from '../../../src/render/haproxy-cfg.js';
import { loadEpisode } from '../../../src/lab-schema/catalogue.js';
import { normalizeSpec } from '../../../src/lab-schema/normalize.js';
import { configDrift, driftNote, type ParsedConfig } from '../../../src/verify/config-drift.js';

async function rendered(id: string): Promise<string> {
  return renderHaproxyCfg(normalizeSpec(await loadEpisode(id)));
}

const parsed = (text: string, file = 'haproxy.cfg'): ParsedConfig => ({ text, config: parseConfig(text, { file, env: {} }) });

/** Replaces exactly one occurrence, so a test cannot pass on an edit that did nothing. */
function edit(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags}g`)) ?? []).length;
  if (count !== 1) throw new Error(`expected one ${String(from)} in the config, found ${count}`);
  return text.replace(from, to);
}

async function driftOf(id: string, change: (cfg: string) => string): Promise<string[]> {
  const lab = await rendered(id);
  return configDrift(parsed(change(lab)), parsed(lab, 'rendered'));
}

describe('configDrift: backends', () => {
  it('finds nothing in the rendered config itself, nor in edits of comments, spacing and addresses', async () => {
    expect(await driftOf('ep09', (c) => c)).toEqual([]);
    expect(await driftOf('ep09', (c) => edit(
      edit(c, '    balance roundrobin\n', '  balance\troundrobin   # the episode\'s algorithm\n'),
      'server server1 app1:5001', 'server server1 127.0.0.1:40001',
    ))).toEqual([]);
  });

  it('names balance swaps with their arguments, as HAProxy spells them', async () => {
    expect(await driftOf('ep09', (c) => edit(c, 'balance roundrobin', 'balance static-rr'))).toEqual(['backend servers: balance static-rr (lab.yaml: roundrobin)']);
    expect(await driftOf('ep08', (c) => edit(c, 'balance random(2)', 'balance roundrobin'))).toEqual(['backend servers: balance roundrobin (lab.yaml: random(2))']);
    expect(await driftOf('ep08', (c) => edit(c, 'balance random(2)', 'balance random(3)'))).toEqual(['backend servers: balance random(3) (lab.yaml: random(2))']);
    // `random` draws 2 by default: the same algorithm, written differently.
    expect(await driftOf('ep08', (c) => edit(c, 'balance random(2)', 'balance random'))).toEqual([]);
    expect(await driftOf('ep09', (c) => edit(c, 'balance roundrobin', 'balance hdr(Host) use_domain_only'))).toEqual(['backend servers: balance hdr(Host) use_domain_only (lab.yaml: roundrobin)']);
    expect(await driftOf('ep09', (c) => edit(c, 'balance roundrobin', 'balance uri whole len 8'))).toEqual(['backend servers: balance uri whole len 8 (lab.yaml: roundrobin)']);
  });

  it('names hash-type changes', async () => {
    expect(await driftOf('ep07', (c) => edit(c, 'hash-type consistent', 'hash-type map-based'))).toEqual(['backend servers: hash-type map-based (lab.yaml: consistent)']);
    expect(await driftOf('ep07', (c) => edit(c, 'hash-type consistent', 'hash-type consistent djb2 avalanche'))).toEqual(['backend servers: hash-type consistent djb2 avalanche (lab.yaml: consistent)']);
    // Bare `consistent` is sdbm with avalanche: `consistent sdbm` drops the avalanche.
    expect(await driftOf('ep07', (c) => edit(c, 'hash-type consistent', 'hash-type consistent sdbm'))).toEqual(['backend servers: hash-type consistent sdbm (lab.yaml: consistent)']);
    expect(await driftOf('ep07', (c) => edit(c, 'hash-type consistent', 'hash-type consistent sdbm avalanche'))).toEqual([]);
  });

  it('names servers removed and added, weights, backup, disabled, check and order, in one line per backend', async () => {
    expect(await driftOf('ep09', (c) => edit(
      edit(edit(c, /^ {4}server server3 .*\n/m, ''), 'server server1 app1:5001 weight 2 check', 'server server1 app1:5001 weight 5 check'),
      'balance roundrobin', 'balance static-rr',
    ))).toEqual(['backend servers: balance static-rr (lab.yaml: roundrobin), server3 removed, server1 weight 5 (lab.yaml: 2)']);
    expect(await driftOf('ep09', (c) => edit(c, 'server server3 app3:5003 weight 3 check\n', 'server server3 app3:5003 weight 3 check\n    server server4 app1:5001 weight 7 backup\n'))).toEqual([
      'backend servers: server4 added (weight 7 backup)',
    ]);
    expect(await driftOf('ep09', (c) => edit(
      edit(c, 'server server2 app2:5002 check', 'server server2 app2:5002 backup disabled'),
      'server server3 app3:5003 weight 3 check', 'server server3 app3:5003 weight 3',
    ))).toEqual(['backend servers: server2 backup (lab.yaml: no backup), server2 disabled (lab.yaml: no disabled), server2 no check (lab.yaml: check), server3 no check (lab.yaml: check)']);
    // Round-robin order follows the servers' order in the file.
    const s1 = '    server server1 app1:5001 weight 2 check\n';
    expect(await driftOf('ep09', (c) => edit(edit(c, s1, ''), '    server server3 app3:5003 weight 3 check\n', `    server server3 app3:5003 weight 3 check\n${s1}`))).toEqual([
      'backend servers: servers in the order server2, server3, server1 (lab.yaml: server1, server2, server3)',
    ]);
  });

  it('names backends removed, added and switched to another mode', async () => {
    expect(await driftOf('ep03', (c) => `${c}\nbackend spare\n    server s1 static-app:5001\n`)).toEqual(['backend spare: added']);
    expect(await driftOf('ep02', (c) => edit(c, '    mode    tcp\n', '    mode    http\n'))).toEqual([
      'frontend tcp_front: mode http (lab.yaml: tcp)',
      'backend flask_backend: mode http (lab.yaml: tcp)',
    ]);
    expect(await driftOf('ep03', (c) => edit(
      edit(c, /^backend static_backend\n.*\n.*\n\n/m, ''),
      'use_backend static_backend if is_static', 'use_backend dynamic_backend if is_static',
    ))).toEqual([
      'frontend http_front: `use_backend static_backend if is_static` removed, `use_backend dynamic_backend if is_static` added',
      'backend static_backend: removed',
    ]);
  });
});

describe('configDrift: frontends', () => {
  it('names acl, use_backend and http-request lines removed or added, compared as written', async () => {
    expect(await driftOf('ep03', (c) => edit(c, '    use_backend static_backend if is_static\n', ''))).toEqual([
      'frontend http_front: `use_backend static_backend if is_static` removed',
    ]);
    expect(await driftOf('ep03', (c) => edit(c, '    acl is_static path_beg /static\n', '    acl is_static path_beg /static /assets\n    http-request deny if is_static\n'))).toEqual([
      'frontend http_front: `acl is_static path_beg /static` removed, `acl is_static path_beg /static /assets` added, `http-request deny if is_static` added',
    ]);
    // Spacing and comments are not a difference.
    expect(await driftOf('ep03', (c) => edit(c, '    use_backend static_backend if is_static\n', '\tuse_backend  static_backend   if is_static # static files\n'))).toEqual([]);
  });

  it('names a changed default_backend and mode, and rules put in another order', async () => {
    expect(await driftOf('ep03', (c) => edit(c, 'default_backend dynamic_backend', 'default_backend static_backend'))).toEqual([
      'frontend http_front: default_backend static_backend (lab.yaml: dynamic_backend)',
    ]);
    const staticRule = '    use_backend static_backend if is_static\n';
    const apiRule = '    use_backend dynamic_backend if is_api\n';
    const lab = edit(await rendered('ep03'), staticRule, `    acl is_api path_beg /api\n${staticRule}${apiRule}`);
    expect(configDrift(parsed(edit(lab, `${staticRule}${apiRule}`, `${apiRule}${staticRule}`)), parsed(lab))).toEqual(['frontend http_front: use_backend rules in another order']);
    // http-request rules run before every use_backend, wherever written: not an order change.
    const deny = '    http-request deny if is_api\n';
    const withDeny = edit(lab, apiRule, `${apiRule}${deny}`);
    expect(configDrift(parsed(edit(withDeny, `${staticRule}${apiRule}${deny}`, `${deny}${staticRule}${apiRule}`)), parsed(withDeny))).toEqual([]);
  });

  it('names frontends removed and added, and a listen section once', async () => {
    const lab = await rendered('ep08');
    const without = edit(lab, /^frontend plain_random_front\n.*\n.*\n\n/m, '');
    expect(configDrift(parsed(without), parsed(lab))).toEqual(['frontend plain_random_front: removed']);
    expect(configDrift(parsed(lab), parsed(without))).toEqual(['frontend plain_random_front: added']);
    const noStats = edit(lab, /\nlisten stats\n(.*\n)*/, '\n');
    expect(configDrift(parsed(noStats), parsed(lab))).toEqual(['listen stats: removed']);
  });
});

describe('driftNote', () => {
  it('says which file, that the checks judge lab.yaml, and every difference', () => {
    expect(driftNote('haproxy.cfg', ['backend servers: server3 removed', 'frontend f: default_backend x (lab.yaml: y)'])).toBe(
      'haproxy.cfg differs from lab.yaml (the checks judge lab.yaml): backend servers: server3 removed; frontend f: default_backend x (lab.yaml: y)',
    );
  });
});
