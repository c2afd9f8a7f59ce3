/**
 * What the swarm runtime changes in a lab's haproxy.cfg before it becomes a config object
 * (src/runtime/swarm/swarm-cfg.ts): servers written with a name follow Docker's DNS through
 * an added `resolvers` section; nothing else moves, byte for byte; a server with its own
 * resolvers, or an address, is left alone. And how a node's io.haplab.engine label becomes an
 * engine address, and which constraints keep tasks where haplab can reach them (nodes.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { DOCKER_DNS, SWARM_RESOLVERS, followReschedules } from '../../../src/runtime/swarm/swarm-cfg.js';
import { engineOptions, offUnreachableNodes, onThisNode, otherActiveNodes, type SwarmNode } from '../../../src/runtime/swarm/nodes.js';
import { BadInputError, EnvironmentError } from '../../../src/errors.js';

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('it did not throw');
}

const CFG = [
  'global',
  '    log stdout format raw local0',
  '',
  'defaults',
  '    mode http',
  '    timeout connect 5s',
  '    timeout client 50s',
  '    timeout server 50s',
  '',
  'frontend http_front',
  '    bind *:80',
  '    default_backend servers',
  '',
  'backend servers',
  '    balance roundrobin',
  '    server server1 app1:5001 weight 2 check  # the first app',
  '    server server2 app2:5002 weight 1 check',
  '    server server3 10.0.0.9:5003 weight 3 check',
  '',
].join('\n');

describe('followReschedules', () => {
  it('adds the resolvers section and the option to every server written with a name, and changes nothing else', () => {
    const { text, notes } = followReschedules(CFG, 'haproxy/haproxy.cfg');
    const before = CFG.split('\n');
    const after = text.split('\n');
    expect(after[15]).toBe(`    server server1 app1:5001 weight 2 check resolvers ${SWARM_RESOLVERS}  # the first app`);
    expect(after[16]).toBe(`    server server2 app2:5002 weight 1 check resolvers ${SWARM_RESOLVERS}`);
    // An address needs no resolving; every other line is as written.
    expect(after[17]).toBe(before[17]);
    expect(after.slice(0, 15)).toEqual(before.slice(0, 15));
    const config = parseConfig(text, { file: 'x' });
    const servers = config.backends.get('servers')!.servers;
    expect(servers.map((s) => s.resolvers)).toEqual([SWARM_RESOLVERS, SWARM_RESOLVERS, undefined]);
    const section = config.resolvers.get(SWARM_RESOLVERS)!;
    expect(section.nameservers.map((n) => `${n.host}:${n.port}`)).toEqual([DOCKER_DNS]);
    expect(notes).toEqual([expect.stringMatching(/server1, server2, so each follows its app's task/)]);
  });

  it('leaves a file whose servers name their own resolvers, or are addresses, exactly as it is', () => {
    const own = CFG.replace('check  # the first app', 'check resolvers mine').replace('app2:5002 weight 1 check', '10.0.0.8:5002 weight 1 check')
      + 'resolvers mine\n    nameserver dns 10.0.0.2:53\n';
    expect(followReschedules(own, 'f')).toEqual({ text: own, notes: [] });
  });

  it('a file it cannot parse is the parser\'s error, with file and line', () => {
    const thrown = caught(() => followReschedules(CFG.replace('balance roundrobin', 'balance nosuch'), 'lab/haproxy/haproxy.cfg'));
    expect(thrown).toBeInstanceOf(BadInputError);
    expect((thrown as BadInputError).where).toMatchObject({ file: 'lab/haproxy/haproxy.cfg', line: 15 });
  });
});

const node = (over: Partial<SwarmNode>): SwarmNode => ({ id: 'n', hostname: 'h', role: 'worker', state: 'ready', availability: 'active', self: false, ...over });

describe('swarm nodes', () => {
  it('reads an engine label as dockerode options, and refuses anything else with the command that fixes it', () => {
    expect(engineOptions('tcp://172.29.213.11:2375', 'w1')).toEqual({ host: '172.29.213.11', port: 2375, protocol: 'http' });
    expect(engineOptions('tcp://[fd00::5]:2375', 'w1')).toEqual({ host: 'fd00::5', port: 2375, protocol: 'http' });
    expect(engineOptions('unix:///run/docker.sock', 'w1')).toEqual({ socketPath: '/run/docker.sock' });
    for (const bad of ['172.29.213.11:2375', 'tcp://host', 'tcp://host:99999', 'https://host:2376', '']) {
      expect(() => engineOptions(bad, 'w1')).toThrow(EnvironmentError);
    }
    expect((caught(() => engineOptions('nope', 'w1')) as EnvironmentError).hint).toMatch(/docker node update --label-add io\.haplab\.engine=tcp:\/\/HOST:2375 w1/);
  });

  it('keeps proxies and probe on this node, apps off nodes without an engine label, and loads only into ready, active others', () => {
    const nodes = [
      node({ id: 'm', self: true, role: 'manager' }),
      node({ id: 'a', engine: 'tcp://10.0.0.1:2375' }),
      node({ id: 'b' }),
      node({ id: 'c', engine: 'tcp://10.0.0.3:2375', state: 'down' }),
      node({ id: 'd', engine: 'tcp://10.0.0.4:2375', availability: 'drain' }),
    ];
    expect(onThisNode(nodes)).toEqual(['node.id==m']);
    expect(offUnreachableNodes(nodes)).toEqual(['node.id!=b']);
    expect(otherActiveNodes(nodes).map((n) => n.id)).toEqual(['a', 'b']);
  });
});
