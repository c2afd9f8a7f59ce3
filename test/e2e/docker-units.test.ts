/** The docker runtime's pure parts, no engine needed: address picking, apt sources, ip/stats/engine-message parsing. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCidr, pickAddresses, within } from '../../src/runtime/docker/addresses.js';
import { demuxLogBuffer } from '../../src/runtime/docker/logs.js';
import { portFromStartError } from '../../src/runtime/docker/ports.js';
import { parseIpAddrShow } from '../../src/runtime/docker/prober.js';
import { serversNotUp } from '../../src/runtime/docker/ready.js';
import { debianMirror } from '../../src/runtime/images/apt-mirror.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { scratchDir } from '../helpers/scratch.js';

describe('client addresses', () => {
  it('takes the top of the range, skipping taken, gateway, network and broadcast addresses', () => {
    const net = parseCidr('172.18.0.0/16');
    expect(pickAddresses(net, net, 3, ['172.18.255.253'])).toEqual(['172.18.255.254', '172.18.255.252', '172.18.255.251']);
    const sub = parseCidr('192.168.1.0/24');
    expect(pickAddresses(parseCidr('192.168.0.0/20'), sub, 2, [])).toEqual(['192.168.1.254', '192.168.1.253']);
    expect(pickAddresses(parseCidr('10.0.0.0/30'), parseCidr('10.0.0.0/30'), 5, [])).toEqual(['10.0.0.2']);
  });

  it('knows which ranges lie inside a network', () => {
    expect(within(parseCidr('192.168.0.0/20'), parseCidr('192.168.10.0/24'))).toBe(true);
    expect(within(parseCidr('192.168.0.0/20'), parseCidr('192.168.16.0/24'))).toBe(false);
    expect(within(parseCidr('172.18.0.0/16'), parseCidr('192.168.1.0/24'))).toBe(false);
  });

  it('reads `ip -o -4 addr show`', () => {
    const text = '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n'
      + '42: eth0    inet 172.18.0.5/16 brd 172.18.255.255 scope global eth0\\       valid_lft forever\n'
      + '42: eth0    inet 172.18.255.254/32 scope global eth0\\       valid_lft forever\n';
    expect(parseIpAddrShow(text)).toEqual([
      { iface: 'lo', address: '127.0.0.1', prefix: 8 },
      { iface: 'eth0', address: '172.18.0.5', prefix: 16 },
      { iface: 'eth0', address: '172.18.255.254', prefix: 32 },
    ]);
  });
});

describe('engine messages', () => {
  it('finds the port in a failed start', () => {
    expect(portFromStartError('driver failed programming external connectivity on endpoint haplab-x-haproxy: Bind for 127.0.0.1:8090 failed: port is already allocated')).toBe(8090);
    expect(portFromStartError('Error starting userland proxy: listen tcp4 127.0.0.1:8041: bind: address already in use')).toBe(8041);
    expect(portFromStartError('no such image')).toBeUndefined();
  });

  it('demultiplexes log frames', () => {
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, text.length]), Buffer.from(text)]);
    expect(demuxLogBuffer(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
    expect(demuxLogBuffer(Buffer.from('plain text'))).toBe('plain text');
  });

  it('reads server states from the stats CSV, ignoring disabled servers', async () => {
    const spec = await loadEpisode('ep09');
    const csv = '# pxname,svname,status,weight\nhttp_front,FRONTEND,OPEN,\nservers,server1,UP,2\nservers,server2,DOWN 1/2,1\nservers,server3,no check,3\nservers,BACKEND,UP,6\nstats,FRONTEND,OPEN,\n';
    expect(serversNotUp(csv, spec)).toEqual(['servers/server2 is DOWN 1/2']);
    spec.backends[0]!.servers[1]!.disabled = true;
    expect(serversNotUp(csv, spec)).toEqual([]);
  });
});

describe('the Debian mirror for debootstrap', () => {
  it('comes from apt\'s own sources (deb822 and one-line), overridable', async () => {
    const root = await scratchDir('haplab-apt-');
    await mkdir(join(root, 'sources.list.d'));
    await writeFile(join(root, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n');
    expect(debianMirror('bookworm', {}, root)).toBe('http://mirror.example/debian');
    await writeFile(join(root, 'sources.list'), '# comment\ndeb [arch=amd64] http://other.example/debian bookworm main contrib\n');
    expect(debianMirror('bookworm', {}, root)).toBe('http://other.example/debian');
    expect(debianMirror('bookworm', { HAPLAB_DEBIAN_MIRROR: 'http://x.example/d' }, root)).toBe('http://x.example/d');
    expect(() => debianMirror('trixie', {}, root)).toThrow(/no Debian trixie mirror/);
  });
});
