/**
 * Differential test of the ordered algorithms: the real HAProxy 2.6 and haplab's balancers
 * get the same requests (fresh connections, loopback) and must pick the same server each
 * time — roundrobin (also across run-time maint, ready and set weight), static-rr, leastconn
 * and first, with backups. Hashing is compared in balance-parity-hash.test.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBalancer } from '../../src/proxy/balance/index.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import type { LbServer } from '../../src/proxy/balance/types.js';
import { add, cli, lbServers, MAP_BACKUPS, scenarios, send, settings, startParityHaproxy, stopParityHaproxy } from './balance-parity-setup.js';

// ---- the scenarios -------------------------------------------------------------

const RR_WEIGHTS = [[2, 1, 3], [5, 1, 1, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1]];
for (const ws of RR_WEIGHTS) {
  add(`rr-${ws.join('_')}`, ['balance roundrobin'], ws.map((weight) => ({ weight })), settings({ algorithm: 'roundrobin' }));
}
add('rr-runtime', ['balance roundrobin'], [2, 1, 3, 4].map((weight) => ({ weight })), settings({ algorithm: 'roundrobin' }));
add('srr-2_1_3', ['balance static-rr'], [2, 1, 3].map((weight) => ({ weight })), settings({ algorithm: 'static-rr' }));
add('lc-2_1_3', ['balance leastconn'], [2, 1, 3].map((weight) => ({ weight })), settings({ algorithm: 'leastconn' }));
add('first-4', ['balance first'], [{ weight: 1, disabled: true }, { weight: 1 }, { weight: 5 }, { weight: 1 }], settings({ algorithm: 'first' }));
add('srr-backup', ['balance static-rr'], MAP_BACKUPS, settings({ algorithm: 'static-rr' }));
add('rr-backup', ['balance roundrobin'], [{ weight: 1, disabled: true }, { weight: 2, disabled: true }, { weight: 3, backup: true }, { weight: 1, backup: true }], settings({ algorithm: 'roundrobin' }));

describeWithTool(HAPROXY, 'balance parity with HAProxy 2.6: ordered algorithms', () => {
  beforeAll(startParityHaproxy);
  afterAll(stopParityHaproxy);

  it.each(RR_WEIGHTS.map((ws) => [ws.join(',')]))('roundrobin %s: same order over 3 cycles', async (w) => {
    const sc = scenarios.get(`rr-${w.replace(/,/g, '_')}`)!;
    const servers = lbServers(sc);
    const b = createBalancer(sc.settings, servers);
    const total = sc.servers.reduce((a, s) => a + s.weight, 0);
    const seq: string[] = [];
    for (let i = 0; i < total * 3; i++) seq.push((await send(sc.port, {})));
    const mine = Array.from({ length: total * 3 }, () => b.pick({ sourceAddress: '127.0.0.1' })!.name);
    expect(mine).toEqual(seq);
  });

  it.each([['srr-2_1_3'], ['srr-backup'], ['rr-backup'], ['lc-2_1_3'], ['first-4']])('%s: same sequence', async (name) => {
    const sc = scenarios.get(name)!;
    const servers = lbServers(sc);
    const b = createBalancer(sc.settings, servers);
    const theirs: string[] = [];
    const mine: string[] = [];
    for (let i = 0; i < 24; i++) {
      theirs.push((await send(sc.port, {})));
      const s = b.pick({ sourceAddress: '127.0.0.1' })!;
      mine.push(s.name);
      // What the data path does around one request: count it in, then out.
      s.activeConns++;
      b.taken?.(s);
      s.activeConns--;
      b.released?.(s);
    }
    expect(mine).toEqual(theirs);
  });

  it('roundrobin follows run-time changes (maint, ready, set weight)', async () => {
    const sc = scenarios.get('rr-runtime')!;
    const servers = lbServers(sc);
    const b = createBalancer(sc.settings, servers);
    const steps: Array<[string, (s: LbServer[]) => void, number]> = [
      ['', () => {}, 15],
      ['set server rr-runtime/s2 state maint', (s) => (s[1]!.up = false), 17],
      ['set server rr-runtime/s2 state ready', (s) => (s[1]!.up = true), 23],
      ['set weight rr-runtime/s4 1', (s) => (s[3]!.weight = 1), 20],
      ['set weight rr-runtime/s1 0', (s) => (s[0]!.weight = 0), 12],
      ['set weight rr-runtime/s1 7', (s) => (s[0]!.weight = 7), 30],
      ['set server rr-runtime/s3 state maint', (s) => (s[2]!.up = false), 9],
      ['set weight rr-runtime/s3 9', (s) => (s[2]!.weight = 9), 5],
      ['set server rr-runtime/s3 state ready', (s) => (s[2]!.up = true), 40],
    ];
    for (const [cmd, apply, count] of steps) {
      if (cmd) {
        const before = servers.map((s) => ({ ...s }));
        await cli(cmd);
        apply(servers);
        servers.forEach((s, i) => {
          if (s.up !== before[i]!.up || s.weight !== before[i]!.weight) b.update(s);
        });
      }
      const theirs: string[] = [];
      for (let i = 0; i < count; i++) theirs.push((await send(sc.port, {})));
      const mine = Array.from({ length: count }, () => b.pick({ sourceAddress: '127.0.0.1' })!.name);
      expect(mine, `after "${cmd}"`).toEqual(theirs);
    }
  });
});
