/**
 * What the swarm runtime tells the layers above about a running lab (src/runtime/swarm/up.ts):
 * every proxy's frontends by service name and container port (reached through the probe on
 * the overlay network, since nothing is published on the host), no stats URL on this host,
 * and the lab's own haproxy.cfg files as what the proxies run; and `--runtime swarm` is a choice.
 */
import { describe, expect, it } from 'vitest';
import { loadEpisode } from '../../../src/lab-schema/catalogue.js';
import { customizeSpec } from '../../../src/lab-schema/customize.js';
import { parseRuntimeChoice, RUNTIME_CHOICES } from '../../../src/runtime/select.js';
import { swarmInstanceOf } from '../../../src/runtime/swarm/up.js';

describe('the swarm runtime as the layers above see it', () => {
  it('endpoints are service names on the overlay network, one per proxy and frontend', async () => {
    const spec = customizeSpec(await loadEpisode('ep09'), { proxy: 'both' });
    const instance = swarmInstanceOf(spec, 'lab1', '/labs/lab1');
    expect(instance.runtime).toBe('swarm');
    const front = spec.frontends[0]!;
    expect(instance.endpoints.map((e) => e.url)).toEqual([`http://haproxy:${front.bind}`, `http://tsproxy:${front.bind}`]);
    expect(instance.stats).toEqual([]);
    expect(instance.proxyConfigs).toEqual([
      { proxy: 'haproxy', file: '/labs/lab1/haproxy/haproxy.cfg' },
      { proxy: 'ts', file: '/labs/lab1/tsproxy/haproxy.cfg' },
    ]);
    expect(instance.notes[0]).toMatch(/overlay network haplab-lab1-overlay.*nothing is published on this host/);
  });

  it('--runtime swarm is accepted, and listed among the choices', () => {
    expect(parseRuntimeChoice('swarm')).toBe('swarm');
    expect(RUNTIME_CHOICES).toContain('swarm');
    let hint = '';
    try {
      parseRuntimeChoice('swarms');
    } catch (err) {
      hint = (err as { hint?: string }).hint ?? String(err);
    }
    expect(hint).toMatch(/use auto, docker, local or swarm/);
  });
});
