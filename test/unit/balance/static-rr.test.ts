/**
 * The server map of lb_map.c (slots dealt smoothly, weights divided by their GCD, backups)
 * and static-rr walking it in HAProxy's order through state changes and the avoided server.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import { ServerMap } from '../../../src/proxy/balance/map.js';
import { picks, servers, settings, tally } from './helpers.js';

describe('server map (lb_map.c)', () => {
  const table = (m: ServerMap): number[] => Array.from({ length: m.pool.totWeight }, (_, h) => m.byHash(h));

  it('deals slots smoothly, the first declared server winning ties', () => {
    expect(table(new ServerMap(servers([2, 1, 3])))).toEqual([0, 2, 0, 2, 1, 2]);
    expect(table(new ServerMap(servers([1, 1, 1])))).toEqual([0, 1, 2]);
  });

  it('divides weights by their GCD, over all servers, backups and down ones included', () => {
    expect(new ServerMap(servers([2, 4, 6])).pool.totWeight).toBe(6);
    expect(new ServerMap(servers([4, 8, 6], [{}, {}, { up: false }])).pool.totWeight).toBe(6);
    expect(new ServerMap(servers([4, 8, 3], [{}, {}, { backup: true }])).pool.totWeight).toBe(12);
  });

  it('with no active up, fills the map from all usable backups though the first one sizes it', () => {
    // HAProxy sizes the map by the first backup's weight (2) but lets every usable
    // backup compete for its slots: the heavier second backup takes both (checked
    // against HAProxy 2.6 in the parity test).
    const m = new ServerMap(servers([1, 2, 5], [{ up: false }, { backup: true }, { backup: true }]));
    expect(m.pool.totWeight).toBe(2);
    expect(table(m)).toEqual([2, 2]);
  });
});

describe('static-rr', () => {
  const SRR = settings({ algorithm: 'static-rr' });

  it("walks the map in HAProxy's order", () => {
    const b = createBalancer(SRR, servers([2, 1, 3]));
    expect(picks(b, 12).join(' ')).toBe('s1 s3 s1 s3 s2 s3 s1 s3 s1 s3 s2 s3');
  });

  it('skips weight 0 and down servers, and follows state changes', () => {
    const list = servers([1, 0, 2]);
    const b = createBalancer(SRR, list);
    expect(tally(picks(b, 9))).toEqual({ s1: 3, s3: 6 });
    list[0]!.up = false;
    b.update(list[0]!);
    expect(tally(picks(b, 4))).toEqual({ s3: 4 });
  });

  it('steps over the avoided server', () => {
    const list = servers([1, 1]);
    const b = createBalancer(SRR, list);
    expect(b.pick({ sourceAddress: 'x' }, list[0])!.name).toBe('s2');
    expect(b.pick({ sourceAddress: 'x' }, list[0])!.name).toBe('s2');
  });
});
