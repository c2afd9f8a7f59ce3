/**
 * Differential test of hashing: the real HAProxy 2.6 and haplab's balancers get the same
 * keys (source, uri, url_param, hdr; map-based and consistent; with servers disabled, taken
 * down by health checks or changed at run time) and every key must land on the same server,
 * a missing key falling back to the same round-robin. leastconn and random(N) under load are
 * in balance-parity-load.test.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBalancer } from '../../src/proxy/balance/index.js';
import { describeWithTool, HAPROXY } from '../helpers/require-tool.js';
import {
  add,
  cli,
  compare,
  CONSISTENT,
  lbServers,
  MAP,
  MAP_BACKUPS,
  scenarios,
  send,
  serverStatus,
  settings,
  sourceKeys,
  startParityHaproxy,
  stopParityHaproxy,
  uriKeys,
  waitFor,
  type Req,
} from './balance-parity-setup.js';

// ---- the scenarios -------------------------------------------------------------

add('src-map-backup', ['balance source'], MAP_BACKUPS, settings({ algorithm: 'source' }));
add('src-chash-backup', ['balance source', 'hash-type consistent'], MAP_BACKUPS, settings({ algorithm: 'source', hashType: CONSISTENT }));

const HASH_SETS: Record<number, number[]> = { 3: [1, 2, 3], 5: [3, 1, 4, 1, 5], 7: [2, 7, 1, 8, 2, 8, 1] };
for (const algo of ['source', 'uri'] as const) {
  for (const [method, ht] of [['map', MAP], ['chash', CONSISTENT]] as const) {
    for (const n of [3, 5, 7]) {
      const ws = HASH_SETS[n]!;
      const hashLine = method === 'map' ? 'hash-type map-based' : 'hash-type consistent';
      const base = { algorithm: algo, hashType: ht, uri: { whole: false, len: 0, depth: 0, pathOnly: false } };
      add(`${algo}-${method}-${n}`, [`balance ${algo}`, hashLine], ws.map((weight) => ({ weight })), settings(base));
      add(`${algo}-${method}-${n}-down`, [`balance ${algo}`, hashLine], ws.map((weight, i) => ({ weight, disabled: i === 1 })), settings(base));
    }
    // A server that health checks take down while running, rather than `disabled`.
    add(`${algo}-${method}-5-checkdown`, [`balance ${algo}`, method === 'map' ? 'hash-type map-based' : 'hash-type consistent'],
      HASH_SETS[5]!.map((weight, i) => ({ weight, checkDown: i === 3 })),
      settings({ algorithm: algo, hashType: method === 'map' ? MAP : CONSISTENT, uri: { whole: false, len: 0, depth: 0, pathOnly: false } }));
  }
}

const W5 = HASH_SETS[5]!.map((weight) => ({ weight }));
const URI_DEFAULT = { whole: false, len: 0, depth: 0, pathOnly: false };
add('rt-chash', ['balance uri', 'hash-type consistent'], W5, settings({ algorithm: 'uri', uri: URI_DEFAULT, hashType: CONSISTENT }));
add('rt-map', ['balance uri'], W5, settings({ algorithm: 'uri', uri: URI_DEFAULT }));
add('hdr-map-djb2', ['balance hdr(X-Key)', 'hash-type map-based djb2'], W5,
  settings({ algorithm: 'hdr', arg: 'X-Key', hashType: { method: 'map-based', fn: 'djb2', avalanche: false } }));
add('hdr-chash-wt6-ids', ['balance hdr(X-Key)', 'hash-type consistent wt6'],
  [{ weight: 2, id: 7 }, { weight: 3 }, { weight: 1, id: 3 }, { weight: 4 }],
  settings({ algorithm: 'hdr', arg: 'X-Key', hashType: { method: 'consistent', fn: 'wt6', avalanche: false } }));
add('hdr-host-domain', ['balance hdr(Host) use_domain_only', 'hash-type consistent'], W5,
  settings({ algorithm: 'hdr', arg: 'Host', useDomainOnly: true, hashType: CONSISTENT }));
add('urlp-map-crc32-aval', ['balance url_param uid', 'hash-type map-based crc32 avalanche'],
  [2, 4, 6, 2, 8].map((weight) => ({ weight })),
  settings({ algorithm: 'url_param', arg: 'uid', hashType: { method: 'map-based', fn: 'crc32', avalanche: true } }));
add('urlp-chash', ['balance url_param uid', 'hash-type consistent'], W5, settings({ algorithm: 'url_param', arg: 'uid', hashType: CONSISTENT }));
add('uri-whole-djb2', ['balance uri whole', 'hash-type map-based djb2'], W5,
  settings({ algorithm: 'uri', uri: { whole: true, len: 0, depth: 0, pathOnly: false }, hashType: { method: 'map-based', fn: 'djb2', avalanche: false } }));
add('uri-len-depth', ['balance uri len 9 depth 2', 'hash-type consistent'], W5,
  settings({ algorithm: 'uri', uri: { whole: false, len: 9, depth: 2, pathOnly: false }, hashType: CONSISTENT }));
add('uri-path-only', ['balance uri path-only whole', 'hash-type consistent crc32'], W5,
  settings({ algorithm: 'uri', uri: { whole: true, len: 0, depth: 0, pathOnly: true }, hashType: { method: 'consistent', fn: 'crc32', avalanche: false } }));

describeWithTool(HAPROXY, 'balance parity with HAProxy 2.6: hashing', () => {
  beforeAll(startParityHaproxy);
  afterAll(stopParityHaproxy);

  const hashScenarios = [...scenarios.values()].filter((s) => /^(source|uri)-/.test(s.name) && !s.name.startsWith('uri-whole') && !s.name.startsWith('uri-len') && !s.name.startsWith('uri-path'));
  it.each(hashScenarios.map((s) => [s.name]))('%s: 1000 keys land on the same server', async (name) => {
    const sc = scenarios.get(name)!;
    const down = sc.servers.findIndex((s) => s.checkDown);
    if (down >= 0) await waitFor(async () => (await serverStatus(name, `s${down + 1}`)) === 'DOWN', `${name}/s${down + 1} down`);
    const servers = lbServers(sc);
    const b = createBalancer(sc.settings, servers);
    const reqs = sc.settings.algorithm === 'source' ? sourceKeys(1000) : uriKeys(1000);
    const bad = await compare(sc, reqs, b, servers);
    expect(bad.slice(0, 10), `${bad.length} of ${reqs.length} differ`).toEqual([]);
  });

  it.each([
    ['rt-chash', ['set weight rt-chash/s3 2', 'set weight rt-chash/s3 9', 'set server rt-chash/s1 state maint', 'set weight rt-chash/s5 0', 'set server rt-chash/s1 state ready', 'set weight rt-chash/s5 1']],
    ['rt-map', ['set weight rt-map/s3 0', 'set server rt-map/s1 state maint', 'set weight rt-map/s3 4', 'set server rt-map/s1 state ready']],
  ] as const)('%s: hashing follows run-time weight and state changes', async (name, cmds) => {
    const sc = scenarios.get(name)!;
    const servers = lbServers(sc);
    const b = createBalancer(sc.settings, servers);
    const reqs = uriKeys(300);
    expect(await compare(sc, reqs, b, servers)).toEqual([]);
    for (const cmd of cmds) {
      expect(await cli(cmd), cmd).not.toMatch(/denied|unknown|invalid|only accepts/i);
      const [, target, what] = /^set (?:weight|server) \S+\/s(\d+) (?:state )?(\S+)$/.exec(cmd)!;
      const srv = servers[Number(target) - 1]!;
      if (what === 'maint') srv.up = false;
      else if (what === 'ready') srv.up = true;
      else srv.weight = Number(what);
      b.update(srv);
      const bad = await compare(sc, reqs, b, servers);
      expect(bad.slice(0, 5), `after "${cmd}": ${bad.length} differ`).toEqual([]);
    }
  });

  const smallSets: Array<[string, (i: number) => Req]> = [
    // Blanks trimmed, the value cut at the first comma outside quotes.
    ['hdr-map-djb2', (i) => ({ headers: { 'X-Key': i % 9 === 0 ? ` user-${i} , other` : i % 9 === 1 ? `"q,${i}"` : `user-${i}` } })],
    ['hdr-chash-wt6-ids', (i) => ({ headers: { 'X-Key': `session-${i * 31}` } })],
    // HAProxy 2.6 reads one byte past the Host value here (backend.c get_server_hh):
    // when Host is the last header that byte is stale buffer memory, and a stale '.'
    // makes it hash the TLD. A header after Host keeps that byte known (not a dot).
    ['hdr-host-domain', (i) => ({ headers: { Host: [`www.site${i}.com`, `site${i}.org`, `a.b.site${i}.co.uk`, `host${i}`][i % 4]!, 'X-After': 'x' } })],
    ['urlp-map-crc32-aval', (i) => ({ path: i % 2 ? `/p?x=1&uid=${i}&z=2` : `/q/${i % 3}?uid=u${i}` })],
    ['urlp-chash', (i) => ({ path: i % 3 ? `/p?uidx=no&uid=${i * 7}` : `/p?uid=${i}&x=${i}` })],
    ['src-map-backup', (i) => sourceKeys(300)[i]!],
    ['src-chash-backup', (i) => sourceKeys(300)[i]!],
    ['uri-whole-djb2', (i) => ({ path: `/a/${i % 11}?q=${i}` })],
    ['uri-len-depth', (i) => ({ path: `/d${i % 13}/e${i}/f/${i}` })],
    // Absolute-form request lines; HAProxy answers 400 unless Host matches the authority.
    ['uri-path-only', (i) => ({ path: `http://h${i % 3}.example/x/${i}?q=${i % 4}`, headers: { Host: `h${i % 3}.example` } })],
  ];
  it.each(smallSets.map(([n, f]) => [n, f] as const))('%s: 300 keys land on the same server', async (name, make) => {
    const sc = scenarios.get(name)!;
    const servers = lbServers(sc);
    const b = createBalancer(sc.settings, servers);
    const reqs = Array.from({ length: 300 }, (_, i) => make(i));
    const bad = await compare(sc, reqs, b, servers);
    expect(bad.slice(0, 10), `${bad.length} of ${reqs.length} differ`).toEqual([]);
  });

  it.each([['hdr-map-djb2'], ['hdr-chash-wt6-ids'], ['urlp-chash']])(
    '%s: a missing key falls back to the same round-robin, also across a server going down',
    async (name) => {
      const sc = scenarios.get(name)!;
      const servers = lbServers(sc);
      const b = createBalancer(sc.settings, servers);
      const missing = (): Req => ({ path: '/nothing-to-hash' });
      const round = async (count: number): Promise<void> => {
        const theirs: string[] = [];
        for (let i = 0; i < count; i++) theirs.push((await send(sc.port, missing())));
        const mine = Array.from({ length: count }, () => b.pick({ sourceAddress: '127.0.0.1', uri: '/nothing-to-hash', header: () => undefined })!.name);
        expect(mine).toEqual(theirs);
      };
      await round(25);
      await cli(`set server ${name}/s2 state maint`);
      servers[1]!.up = false;
      b.update(servers[1]!);
      await round(25);
      await cli(`set server ${name}/s2 state ready`);
      servers[1]!.up = true;
      b.update(servers[1]!);
      await round(25);
    },
  );
});
