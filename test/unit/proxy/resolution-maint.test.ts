/**
 * MAINT (resolution) on a running server, as HAProxy 2.6's srv_update_status applies it:
 * the server leaves the balancer's rotation and its checks pause at health 0; a health
 * check cannot bring it back while it lasts; leaving it puts the server straight back up
 * with health = rise, its weight in the rotation again; a new address retargets it.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { applyCheckResult } from '../../../src/proxy/health.js';
import { processBalancers, RuntimeBackend } from '../../../src/proxy/runtime.js';

function backend(): RuntimeBackend {
  const config = parseConfig(`
resolvers dns
    nameserver ns1 127.0.0.11:53
backend b
    server-template srv 3 tasks.app:80 resolvers dns check rise 2 fall 3 weight 2
`);
  return new RuntimeBackend(config.backends.get('b')!, processBalancers());
}

const picks = (b: RuntimeBackend, n: number) => Array.from({ length: n }, () => b.pick({ sourceAddress: '10.0.0.1' })?.name ?? '-');

describe('MAINT (resolution)', () => {
  it('takes a server out of the rotation and pauses its checks at health 0', () => {
    const b = backend();
    const [, srv2] = b.servers;
    srv2!.setResolutionMaint(true);
    expect(srv2!.up).toBe(false);
    expect(srv2!.health.health).toBe(0);
    expect(new Set(picks(b, 12))).toEqual(new Set(['srv1', 'srv3']));
    expect(b.activeUpCount()).toBe(2);
  });

  it('is not left by a passing health check', () => {
    const b = backend();
    const srv1 = b.servers[0]!;
    srv1.setResolutionMaint(true);
    applyCheckResult(srv1, true);
    applyCheckResult(srv1, true);
    expect(srv1.up).toBe(false);
  });

  it('leaves at once with health = rise and the weight back in the rotation', () => {
    const b = backend();
    for (const s of b.servers) s.setResolutionMaint(true);
    expect(picks(b, 2)).toEqual(['-', '-']);
    b.servers[2]!.setResolutionMaint(false);
    expect(b.servers[2]!.up).toBe(true);
    expect(b.servers[2]!.health.health).toBe(2);
    expect(picks(b, 3)).toEqual(['srv3', 'srv3', 'srv3']);
    b.servers[0]!.setResolutionMaint(false);
    const next = picks(b, 8);
    expect(next.filter((n) => n === 'srv1')).toHaveLength(4);
    expect(next.filter((n) => n === 'srv3')).toHaveLength(4);
  });

  it('retargets the server to a new address', () => {
    const b = backend();
    const srv1 = b.servers[0]!;
    expect(srv1.address).toBe('tasks.app');
    srv1.setAddress('10.0.0.9');
    expect(srv1.address).toBe('10.0.0.9');
  });
});
