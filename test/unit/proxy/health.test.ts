/**
 * The health-check state machine follows HAProxy's check.c (rise/fall, disabled servers), and
 * retries are planned as HAProxy 2.6.12 does, with redispatch on the last one.
 */
import { describe, expect, it } from 'vitest';
import type { Balancer, LbServer } from '../../../src/proxy/balance/types.js';
import { parseConfig } from '../../../src/proxy/config/index.js';
import { applyCheckResult } from '../../../src/proxy/health.js';
import { RuntimeBackend } from '../../../src/proxy/runtime.js';

/** A throwaway balancer that records state changes. */
function recordingFactory(updates: string[]) {
  return (_section: unknown, servers: LbServer[]): Balancer => ({
    pick: () => servers.find((s) => s.up),
    update: (s) => updates.push(`${s.name}:${s.up ? 'up' : 'down'}`),
  });
}

function backend(serverLine: string, updates: string[] = []) {
  const config = parseConfig(`backend b\n    ${serverLine}\n`);
  return new RuntimeBackend(config.backends.get('b')!, recordingFactory(updates));
}

describe('health state machine (HAProxy check.c)', () => {
  it('starts up at health = rise, so the first failure takes a server down', () => {
    const updates: string[] = [];
    const server = backend('server s 127.0.0.1:1 check', updates).servers[0]!;
    expect(server.up).toBe(true);
    expect(server.health.health).toBe(2);
    applyCheckResult(server, false);
    expect(server.up).toBe(false);
    expect(server.health.health).toBe(0);
    expect(updates).toEqual(['s:down']);
  });

  it('needs rise successes to come back, then fall failures to go down again', () => {
    const updates: string[] = [];
    const server = backend('server s 127.0.0.1:1 check rise 3 fall 2', updates).servers[0]!;
    applyCheckResult(server, false);
    const trace: string[] = [];
    for (const ok of [true, true, true, false, true, false, false]) {
      applyCheckResult(server, ok);
      trace.push(`${server.health.health}${server.up ? 'U' : 'D'}`);
    }
    // health 0..rise+fall-1 = 0..4: rising 1,2 then 3 → jumps to 4 (fully up)
    expect(trace).toEqual(['1D', '2D', '4U', '3U', '4U', '3U', '0D']);
    expect(updates).toEqual(['s:down', 's:up', 's:down']);
    expect(server.health.failedChecks).toBe(4);
    expect(server.health.downTransitions).toBe(2);
  });

  it('keeps disabled servers down and unchecked', () => {
    const server = backend('server s 127.0.0.1:1 check disabled').servers[0]!;
    expect(server.up).toBe(false);
    expect(server.health.enabled).toBe(false);
  });

  it('plans retries like HAProxy 2.6.12: redispatch on the last retry, at once when not hashing', () => {
    const config = parseConfig(`
defaults
    mode http
    retries 3
    option redispatch
    timeout connect 300ms
backend rr
    server a 127.0.0.1:1
    server b 127.0.0.1:2
backend hashed
    balance source
    server a 127.0.0.1:1
    server b 127.0.0.1:2
backend single
    server a 127.0.0.1:1
`);
    const plan = (name: string, retries: number) => {
      const b = new RuntimeBackend(config.backends.get(name)!, recordingFactory([]));
      return b.retryPlan(b.servers[0]!, retries);
    };
    expect([1, 2, 3].map((n) => plan('rr', n))).toEqual(Array(3).fill({ redispatch: true, wait: false }));
    expect([1, 2, 3].map((n) => plan('hashed', n))).toEqual([
      { redispatch: false, wait: true },
      { redispatch: false, wait: true },
      { redispatch: true, wait: false },
    ]);
    expect(plan('single', 3)).toEqual({ redispatch: true, wait: true });
    expect(new RuntimeBackend(config.backends.get('rr')!, recordingFactory([])).retryDelay()).toBe(300);
  });
});
