/**
 * haplab's proxy answers the runtime API's weight commands as HAProxy 2.6 does, word for
 * word: the same config (roundrobin, static-rr and a map-based hash backend, an admin and a
 * user-level socket) runs on both, the same commands go to both, the answers must be equal —
 * above all static-rr's refusal of a new weight, which is what tells it from roundrobin — and
 * a weight roundrobin accepted is the weight both then report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { reservePort } from '../helpers/ports.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import { startHaproxy, type HaproxyProcess } from './proxy-helpers.js';

function config(dir: string, port: number): string {
  return [
    'global', `  stats socket ${join(dir, 'admin.sock')} level admin`, `  stats socket ${join(dir, 'user.sock')} level user`,
    'defaults', '  mode http', '  timeout connect 1s', '  timeout client 1s', '  timeout server 1s',
    'frontend web', `  bind 127.0.0.1:${port}`, '  default_backend rr',
    'backend rr', '  balance roundrobin', '  server s1 127.0.0.1:1 weight 2', '  server s2 127.0.0.1:1 weight 1',
    'backend srr', '  balance static-rr', '  server s1 127.0.0.1:1 weight 2',
    'backend mb', '  balance source', '  server s1 127.0.0.1:1 weight 2',
    'backend ch', '  balance source', '  hash-type consistent', '  server s1 127.0.0.1:1 weight 2',
    '',
  ].join('\n');
}

/** One command on its own connection; everything the proxy writes until it closes. */
function ask(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let out = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.write(`${command}\n`);
  });
}

const COMMANDS = [
  'set server rr/s1 weight 3', 'get weight rr/s1',
  'set server srr/s1 weight 3', 'set server srr/s1 weight 0', 'set server srr/s1 weight 100%', 'set server srr/s1 weight 2', 'get weight srr/s1',
  'set server mb/s1 weight 5', 'set server ch/s1 weight 5', 'get weight ch/s1',
  'set weight rr/s2 4', 'get weight rr/s2', 'set server rr/s9 weight 1', 'set server xx/s1 weight 1',
  'set server rr/s1 weight 300', 'set server rr/s1 weight abc', 'set server rr/s1 weight 3x', 'set server rr/s1 weight',
  'set server rr/s1 weight 50%', 'get weight rr/s1', 'set server rr/s1 weight 0', 'get weight rr/s1',
];

describeWithTool(HAPROXY, 'runtime API: haplab answers weight commands as HAProxy 2.6', () => {
  let dirs: { haproxy: string; haplab: string };
  let haproxy: HaproxyProcess | undefined;
  let haplab: RunningProxy | undefined;

  beforeAll(async () => {
    dirs = { haproxy: mkdtempSync(join(tmpdir(), 'haplab-cli-a-')), haplab: mkdtempSync(join(tmpdir(), 'haplab-cli-b-')) };
    const a = await reservePort();
    haproxy = await startHaproxy(config(dirs.haproxy, a), a);
    haplab = await startProxy(parseConfig(config(dirs.haplab, await reservePort())), { healthChecks: false });
  });

  afterAll(async () => {
    await haproxy?.stop();
    await haplab?.close();
    for (const d of Object.values(dirs ?? {})) rmSync(d, { recursive: true, force: true });
  });

  it('every answer the same, in the same order of commands', async () => {
    for (const command of COMMANDS) {
      const theirs = await ask(join(dirs.haproxy, 'admin.sock'), command);
      const mine = await ask(join(dirs.haplab, 'admin.sock'), command);
      expect(mine, command).toBe(theirs);
    }
    // The commands that matter said what they must (not only the same as each other).
    expect(await ask(join(dirs.haplab, 'admin.sock'), 'set server srr/s1 weight 3')).toMatch(/static LB algorithm/);
    expect(await ask(join(dirs.haplab, 'admin.sock'), 'set server rr/s2 weight 7')).toBe('\n');
    expect(haplab!.backends.get('rr')!.servers[1]!.weight).toBe(7);
  });

  it('a user-level socket may read a weight but not change it', async () => {
    for (const command of ['set server rr/s1 weight 3', 'get weight rr/s1']) {
      expect(await ask(join(dirs.haplab, 'user.sock'), command), command).toBe(await ask(join(dirs.haproxy, 'user.sock'), command));
    }
    expect(await ask(join(dirs.haplab, 'user.sock'), 'set server rr/s1 weight 3')).toMatch(/Permission denied/);
  });

  it('`show stat`, at any level: the same columns and rows as HAProxy, lbtot and weights readable', async () => {
    const rows = (text: string) => {
      const [head, ...lines] = text.split('\n').filter((l) => l !== '');
      const columns = head!.replace(/^# /, '').replace(/,$/, '').split(',');
      return { columns, rows: lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [columns[i], v]))) };
    };
    for (const level of ['admin', 'user']) {
      const theirs = await ask(join(dirs.haproxy, `${level}.sock`), 'show stat');
      const mine = await ask(join(dirs.haplab, `${level}.sock`), 'show stat');
      expect(mine.startsWith('# pxname,svname,'), mine.slice(0, 200)).toBe(true);
      expect(mine.endsWith('\n\n')).toBe(theirs.endsWith('\n\n'));
      const [a, b] = [rows(theirs), rows(mine)];
      // HAProxy's own fields (stats.c), then after a '-' its modules' (SSL, H1, H2), which haplab's proxy has none of.
      expect(b.columns).toEqual(a.columns.slice(0, a.columns.indexOf('-')));
      const key = (r: Record<string, string | undefined>) => `${r.pxname}/${r.svname}`;
      expect(b.rows.map(key)).toEqual(a.rows.map(key));
      // The columns the verifier reads: a server's weight as set above, lbtot a number.
      const server = (r: typeof b.rows, name: string) => r.find((x) => key(x) === name)!;
      expect(server(b.rows, 'rr/s2').weight).toBe('7'); // set through the admin socket above
      expect(server(b.rows, 'rr/s1').lbtot).toMatch(/^\d+$/);
    }
  });
});
