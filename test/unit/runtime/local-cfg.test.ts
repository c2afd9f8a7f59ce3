/**
 * The local runtime's view of a lab's haproxy.cfg: the file as it stands, with only what
 * loopback needs changed. Pure translation (no processes): every other byte must survive,
 * and the result must mean what the lab's file means (configDrift finds nothing).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { renderHaproxyCfg } from '../../../src/render/haproxy-cfg.js';
import { readLabCfg, REFUSING_PORT, translateForLoopback, boundPorts, type LabCfg, type LoopbackPorts } from '../../../src/runtime/local/local-cfg.js';
import { catalogueIds, loadEpisode } from '../../../src/lab-schema/catalogue.js';
import { normalizeSpec } from '../../../src/lab-schema/normalize.js';
import { RUNTIME_API_PORT, STATS_BIND_PORT, type LabSpec } from '../../../src/lab-schema/types.js';
import { configDrift } from '../../../src/verify/config-drift.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-local-cfg-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const episode = async (id: string) => normalizeSpec(await loadEpisode(id));
const labCfg = (text: string, file = 'lab/haproxy/haproxy.cfg'): LabCfg => ({ text, file, config: parseConfig(text, { file, env: {} }), rendered: false });

/** Apps on their port + 30000, every bound port on its port + 40000 (the stats listener's too). */
function portsFor(spec: LabSpec, cfg: LabCfg): LoopbackPorts {
  return {
    apps: new Map(spec.apps.map((a) => [a.name, a.port + 30_000])),
    binds: new Map(boundPorts(cfg.config).map((p) => [p, p + 40_000])),
    statsSocket: '/lab/.haplab/local/haproxy.sock',
  };
}

function edit(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

describe('translateForLoopback', () => {
  it('changes only server and bind addresses of ep09, to loopback and the ports given', async () => {
    const spec = await episode('ep09');
    const cfg = labCfg(renderHaproxyCfg(spec));
    const out = translateForLoopback(cfg, spec, portsFor(spec, cfg));
    const before = cfg.text.split('\n');
    const after = out.text.split('\n');
    expect(after).toHaveLength(before.length);
    const changed = before.flatMap((line, i) => (line === after[i] ? [] : [`${line.trim()} → ${after[i]!.trim()}`]));
    expect(changed).toEqual([
      // The container-only runtime API address would be one port for every local proxy: a socket file instead.
      `stats socket ipv4@127.0.0.1:${RUNTIME_API_PORT} level admin → stats socket /lab/.haplab/local/haproxy.sock level admin`,
      'bind *:80 → bind 127.0.0.1:40080',
      'server server1 app1:5001 weight 2 check → server server1 127.0.0.1:35001 weight 2 check',
      'server server2 app2:5002 check → server server2 127.0.0.1:35002 check',
      'server server3 app3:5003 weight 3 check → server server3 127.0.0.1:35003 weight 3 check',
      `bind *:${STATS_BIND_PORT} → bind 127.0.0.1:${STATS_BIND_PORT + 40_000}`,
    ]);
    expect(out.moved).toEqual({ servers: 3, binds: 2 });
    expect(out.notes).toEqual([expect.stringMatching(new RegExp(`^lab/haproxy/haproxy\\.cfg:\\d+: stats socket ipv4@127\\.0\\.0\\.1:${RUNTIME_API_PORT} → /lab/\\.haplab/local/haproxy\\.sock$`))]);
    expect(out.listens).toEqual([{ port: 40080, ready: 'http-frontend' }, { port: STATS_BIND_PORT + 40_000, ready: 'none' }]);
    expect(out.stats).toEqual({ port: STATS_BIND_PORT + 40_000, uri: '/stats' });
  });

  it.each(['ep02', 'ep03', 'ep04', 'ep05', 'ep06', 'ep07', 'ep08', 'ep09', 'ep10', 'ep11', 'ep12'])('%s: the loopback copy means what the lab file means (no drift), and parses', async (id) => {
    expect(await catalogueIds()).toContain(id);
    const spec = await episode(id);
    const cfg = labCfg(renderHaproxyCfg(spec));
    const out = translateForLoopback(cfg, spec, portsFor(spec, cfg));
    const running = parseConfig(out.text, { file: 'local.cfg', env: {} });
    expect(configDrift({ text: out.text, config: running }, cfg)).toEqual([]);
    for (const p of running.proxies) for (const b of p.binds) expect(b.host).toBe('127.0.0.1');
    for (const p of running.proxies) for (const s of p.servers) expect(s.host).toBe('127.0.0.1');
  });

  it('keeps every edit of the learner: algorithm, weights, removed and added servers, backup, rules, comments', async () => {
    const spec = await episode('ep09');
    let text = renderHaproxyCfg(spec);
    text = edit(text, 'balance roundrobin', 'balance static-rr   # trying static-rr');
    text = edit(text, '    server server3 app3:5003 weight 3 check\n', '    server server4 "app3:5003" weight 7 backup inter 1s port 5003\n');
    text = edit(text, 'weight 2 check', 'weight 5 check');
    const cfg = labCfg(text);
    const out = translateForLoopback(cfg, spec, portsFor(spec, cfg));
    expect(out.text).toContain('    balance static-rr   # trying static-rr\n');
    expect(out.text).toContain('    server server1 127.0.0.1:35001 weight 5 check\n');
    // The quoted address is replaced as written, and the check port follows the app.
    expect(out.text).toContain('    server server4 127.0.0.1:35003 weight 7 backup inter 1s port 35003\n');
    expect(out.text).not.toContain('server3');
    expect(configDrift({ text: out.text, config: parseConfig(out.text, { env: {} }) }, cfg)).toEqual([]);
  });

  it('aims a server at a port its app does not listen on at a refusing loopback port, and says so', async () => {
    const spec = await episode('ep09');
    const cfg = labCfg(edit(renderHaproxyCfg(spec), 'server server2 app2:5002 check', 'server server2 app2:6000 check port 6000'));
    const out = translateForLoopback(cfg, spec, portsFor(spec, cfg));
    expect(out.text).toContain(`    server server2 127.0.0.1:${REFUSING_PORT} check port ${REFUSING_PORT}\n`);
    expect(out.notes.filter((n) => !n.includes('stats socket'))).toEqual([expect.stringMatching(/^lab\/haproxy\/haproxy\.cfg:\d+: server server2 points at app2:6000, where nothing listens \(app2 listens on 5002\)/)]);
    // Nothing it can route to is alive but server1 and server3: still an ordinary frontend.
    expect(out.listens[0]).toEqual({ port: 40080, ready: 'http-frontend' });
  });

  it('refuses a server aimed at an app lab.yaml does not have, at the address word', async () => {
    const spec = await episode('ep09');
    const text = edit(renderHaproxyCfg(spec), 'server server2 app2:5002 check', 'server server2 app7:5002 check');
    const cfg = labCfg(text);
    const line = text.split('\n').findIndex((l) => l.includes('app7')) + 1;
    let error: unknown;
    try {
      translateForLoopback(cfg, spec, portsFor(spec, cfg));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).oneLine()).toBe(
      `lab/haproxy/haproxy.cfg:${line}:20: server server2 points at 'app7:5002', but lab.yaml has no app 'app7' (apps: app1:5001, app2:5002, app3:5003) — point the server at one of those apps, or add the app to lab.yaml and run \`haplab new --spec lab.yaml --force\` in the lab`,
    );
  });

  it('moves a stats socket, comments out root-only process settings, maps every address of a bind list', async () => {
    const spec = await episode('ep09');
    let text = renderHaproxyCfg(spec);
    text = edit(text, '\nglobal\n', '\nglobal\n    chroot /var/lib/haproxy\n    user haproxy\n    pidfile /run/haproxy.pid\n    stats socket /run/haproxy/admin.sock mode 660 level admin\n');
    text = edit(text, '    bind *:80\n', '    bind *:80,:81 # two ports\n');
    const cfg = labCfg(text);
    const out = translateForLoopback(cfg, spec, portsFor(spec, cfg));
    expect(out.text).toContain('    # [haplab local runtime: needs root or a container path] chroot /var/lib/haproxy\n');
    expect(out.text).toContain('    # [haplab local runtime: needs root or a container path] user haproxy\n');
    expect(out.text).toContain('    # [haplab local runtime: needs root or a container path] pidfile /run/haproxy.pid\n');
    expect(out.text).toContain('    stats socket /lab/.haplab/local/haproxy.sock mode 660 level admin\n');
    expect(out.text).toContain('    bind 127.0.0.1:40080,127.0.0.1:40081 # two ports\n');
    expect(out.notes.map((n) => n.replace(/^lab\/haproxy\/haproxy\.cfg:\d+: /, ''))).toEqual([
      '`chroot` left out locally (a process setting that needs root or a container path)',
      '`user` left out locally (a process setting that needs root or a container path)',
      '`pidfile` left out locally (a process setting that needs root or a container path)',
      'stats socket /run/haproxy/admin.sock → /lab/.haplab/local/haproxy.sock',
      // The rendered runtime API line comes second: a socket file of its own.
      `stats socket ipv4@127.0.0.1:${RUNTIME_API_PORT} → /lab/.haplab/local/haproxy.sock.1`,
    ]);
    expect(out.listens.map((l) => l.port)).toEqual([40080, 40081, STATS_BIND_PORT + 40_000]);
    expect(() => parseConfig(out.text, { env: {} })).not.toThrow();
  });

  it('waits on a TCP frontend for an accept, and on a frontend whose servers are all gone for any answer', async () => {
    const ep02 = await episode('ep02');
    const tcp = labCfg(renderHaproxyCfg(ep02));
    expect(translateForLoopback(tcp, ep02, portsFor(ep02, tcp)).listens[0]).toEqual({ port: 44000, ready: 'tcp' });
    const ep05 = await episode('ep05');
    const empty = labCfg(renderHaproxyCfg(ep05).replace(/^ {4}server .*\n/gm, ''));
    expect(empty.config.backends.get('servers')?.servers).toEqual([]);
    expect(translateForLoopback(empty, ep05, portsFor(ep05, empty)).listens[0]).toEqual({ port: 40080, ready: 'http-any' });
  });
});

describe('readLabCfg', () => {
  it('reads the lab file as it stands', async () => {
    const spec = await episode('ep05');
    const file = join(root, 'ok.cfg');
    const text = renderHaproxyCfg(spec).replace('balance roundrobin', 'balance leastconn');
    writeFileSync(file, text);
    const cfg = await readLabCfg(spec, file);
    expect(cfg).toMatchObject({ text, file, rendered: false });
    expect(cfg.config.backends.get('servers')?.balance.algorithm).toBe('leastconn');
  });

  it('refuses what haplab proxy -c refuses, at file:line:column with the fix', async () => {
    const spec = await episode('ep05');
    const file = join(root, 'typo.cfg');
    const text = renderHaproxyCfg(spec).replace('    balance roundrobin', '    balanse roundrobin');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('balanse')) + 1;
    await expect(readLabCfg(spec, file)).rejects.toThrow(BadInputError);
    await readLabCfg(spec, file).catch((err: BadInputError) => {
      expect(err.oneLine()).toBe(`${file}:${line}:5: unknown keyword 'balanse' in 'backend' section — did you mean 'balance'?`);
    });
    writeFileSync(file, renderHaproxyCfg(spec).trimEnd());
    await readLabCfg(spec, file).then(
      () => expect.unreachable('a file without its last LF was accepted'),
      (err: BadInputError) => expect(err.oneLine()).toMatch(/missing LF on last line/),
    );
  });

  it('stands in the config lab.yaml renders for a missing file, and says so', async () => {
    const spec = await episode('ep05');
    const cfg = await readLabCfg(spec, join(root, 'missing', 'haproxy.cfg'));
    expect(cfg.rendered).toBe(true);
    expect(cfg.text).toBe(renderHaproxyCfg(spec));
  });
});
