/**
 * What a resolution's outcome does to a server (server.c snr_resolution_cb,
 * snr_update_srv_status, snr_resolution_error_cb): a valid answer gives it an address and
 * takes it out of MAINT (resolution), or puts it there when no address is free; a failed
 * resolution leaves it alone until the status's hold has passed since the last valid
 * answer, then puts it in MAINT and frees its record for the others.
 */
import { describe, expect, it } from 'vitest';
import type { ResolversConfig } from '../../../src/proxy/config/model.js';
import { addressBytes } from '../../../src/proxy/resolve/dns-message.js';
import { Resolution } from '../../../src/proxy/resolve/resolution.js';
import { ServerRequester, type ResolvableServer } from '../../../src/proxy/resolve/server-requester.js';

const HOLD: ResolversConfig['hold'] = { valid: 10_000, nx: 1000, refused: 2000, timeout: 3000, other: 4000, obsolete: 0 };

function fakeServer(name: string, maint: boolean): ResolvableServer & { events: string[] } {
  const events: string[] = [];
  const server = {
    name,
    address: 'tasks.app',
    resolutionMaint: maint,
    events,
    setAddress(address: string) {
      server.address = address;
      events.push(`address ${address}`);
    },
    setResolutionMaint(on: boolean) {
      server.resolutionMaint = on;
      events.push(on ? 'maint' : 'ready');
    },
  };
  return server;
}

function answered(resolution: Resolution, addresses: string[], now: number): void {
  resolution.status = 'valid';
  resolution.lastValid = now;
  resolution.answers.merge(addresses.map((a) => addressBytes(a)!), now);
  resolution.answers.purgeObsolete(HOLD.obsolete, now);
  for (const r of resolution.requesters) r.resolved(resolution, now);
}

function setUp(servers: number) {
  const resolution = new Resolution('tasks.app', 'A');
  const list = Array.from({ length: servers }, (_, i) => fakeServer(`srv${i + 1}`, true));
  for (const s of list) resolution.requesters.push(new ServerRequester('b', s, 4, HOLD));
  return { resolution, servers: list };
}

describe('ServerRequester', () => {
  it('gives each server an address and takes it out of MAINT; the one left over stays in', () => {
    const { resolution, servers } = setUp(3);
    answered(resolution, ['10.0.0.1', '10.0.0.2'], 100);
    expect(servers.map((s) => [s.address, s.resolutionMaint])).toEqual([
      ['10.0.0.1', false],
      ['10.0.0.2', false],
      ['tasks.app', true],
    ]);
    expect(servers[0]!.events).toEqual(['address 10.0.0.1', 'ready']);
    expect(servers[2]!.events).toEqual([]);
  });

  it('moves only the server whose address went away, and puts one in MAINT when none is left', () => {
    const { resolution, servers } = setUp(2);
    answered(resolution, ['10.0.0.1', '10.0.0.2'], 100);
    answered(resolution, ['10.0.0.2', '10.0.0.3'], 200);
    expect(servers.map((s) => s.address)).toEqual(['10.0.0.3', '10.0.0.2']);
    expect(servers[1]!.events).toEqual(['address 10.0.0.2', 'ready']);
    answered(resolution, ['10.0.0.3'], 300);
    expect(servers.map((s) => s.resolutionMaint)).toEqual([false, true]);
    answered(resolution, ['10.0.0.3', '10.0.0.4'], 400);
    expect(servers.map((s) => [s.address, s.resolutionMaint])).toEqual([
      ['10.0.0.3', false],
      ['10.0.0.4', false],
    ]);
  });

  it('holds a failed status from the last valid answer, then goes into MAINT and frees the record', () => {
    const { resolution, servers } = setUp(1);
    answered(resolution, ['10.0.0.1'], 1000);
    resolution.status = 'nx';
    expect(resolution.requesters[0]!.failed(resolution, 1999)).toBe(true);
    expect(servers[0]!.resolutionMaint).toBe(false);
    expect(resolution.requesters[0]!.failed(resolution, 2000)).toBe(false);
    expect(servers[0]!.resolutionMaint).toBe(true);
    expect(resolution.answers.holderOf(resolution.requesters[0]!)).toBeUndefined();
    // Already in MAINT: the records are kept for the others.
    expect(resolution.requesters[0]!.failed(resolution, 3000)).toBe(true);
  });

  it.each([
    ['refused', 2000],
    ['timeout', 3000],
    ['other', 4000],
    ['invalid', 4000],
  ] as const)('holds %s for its own period', (status, hold) => {
    const { resolution, servers } = setUp(1);
    answered(resolution, ['10.0.0.1'], 0);
    resolution.status = status;
    resolution.requesters[0]!.failed(resolution, hold - 1);
    expect(servers[0]!.resolutionMaint).toBe(false);
    resolution.requesters[0]!.failed(resolution, hold);
    expect(servers[0]!.resolutionMaint).toBe(true);
  });

  it('takes the address back when the name resolves again after MAINT', () => {
    const { resolution, servers } = setUp(1);
    answered(resolution, ['10.0.0.1'], 0);
    resolution.status = 'timeout';
    resolution.reportError(5000);
    expect(servers[0]!.resolutionMaint).toBe(true);
    answered(resolution, ['10.0.0.1'], 6000);
    // Its address was cleared on entering MAINT, so the same one is set anew (srv_update_addr).
    expect(servers[0]!.events).toEqual(['address 10.0.0.1', 'ready', 'maint', 'address 10.0.0.1', 'ready']);
  });
});
