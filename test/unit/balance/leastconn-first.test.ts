/**
 * leastconn (lb_fwlc.c) and first (lb_fas.c) pick as HAProxy does: fewest connections per
 * weight with idle servers rotating, lowest usable id for first, backups only when no active is up.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../src/proxy/balance/index.js';
import type { Balancer, LbServer } from '../../../src/proxy/balance/types.js';
import { CTX, picks, servers, settings } from './helpers.js';

function take(b: Balancer, s: LbServer): void {
  s.activeConns++;
  b.taken?.(s);
}
function release(b: Balancer, s: LbServer): void {
  s.activeConns--;
  b.released?.(s);
}

describe('leastconn (lb_fwlc.c)', () => {
  const LC = settings({ algorithm: 'leastconn' });

  it('prefers the server with fewer connections', () => {
    const list = servers([1, 1, 1]);
    const b = createBalancer(LC, list);
    take(b, list[0]!);
    take(b, list[0]!);
    take(b, list[1]!);
    expect(b.pick(CTX)!.name).toBe('s3');
    take(b, list[2]!);
    take(b, list[2]!);
    expect(b.pick(CTX)!.name).toBe('s2');
  });

  it('weighs connections: (conns + 1) / weight', () => {
    const list = servers([1, 3]);
    const b = createBalancer(LC, list);
    // s1 holds 1 → key 2×4096/16 = 512; s2 holds 3 → 4×4096/48 ≈ 341: s2 still wins.
    take(b, list[0]!);
    for (let i = 0; i < 3; i++) take(b, list[1]!);
    expect(b.pick(CTX)!.name).toBe('s2');
    take(b, list[1]!); // s2: 5×4096/48 ≈ 426 — still below 512
    expect(b.pick(CTX)!.name).toBe('s2');
    take(b, list[1]!); // s2: 6×4096/48 = 512: tie, s1 was queued there first
    expect(b.pick(CTX)!.name).toBe('s1');
  });

  it('breaks ties by queue order: idle servers rotate, the longest idle first', () => {
    const list = servers([2, 1, 3]);
    const b = createBalancer(LC, list);
    const seen: string[] = [];
    for (let i = 0; i < 9; i++) {
      const s = b.pick(CTX)!;
      seen.push(s.name);
      take(b, s);
      release(b, s);
    }
    expect(seen.join(' ')).toBe('s1 s2 s3 s1 s2 s3 s1 s2 s3');
  });

  it('a server idle again goes behind the ones idle before it', () => {
    const list = servers([1, 1, 1]);
    const b = createBalancer(LC, list);
    take(b, list[0]!);
    take(b, list[1]!);
    release(b, list[1]!); // s2 idle again: behind s3
    release(b, list[0]!); // then s1
    expect(b.pick(CTX)!.name).toBe('s3');
    take(b, list[2]!);
    expect(b.pick(CTX)!.name).toBe('s2');
  });

  it('skips weight 0, down servers and the avoided one; backups only when no active', () => {
    const list = servers([0, 1, 1, 1], [{}, {}, { up: false }, { backup: true }]);
    const b = createBalancer(LC, list);
    expect(new Set(picks(b, 5))).toEqual(new Set(['s2']));
    expect(b.pick(CTX, list[1])!.name).toBe('s2'); // alone: the avoided one is still returned
    list[2]!.up = true;
    b.update(list[2]!);
    expect(b.pick(CTX, list[1])!.name).toBe('s3');
    list[1]!.up = list[2]!.up = false;
    b.update(list[1]!);
    b.update(list[2]!);
    expect(b.pick(CTX)!.name).toBe('s4');
  });
});

describe('first (lb_fas.c)', () => {
  const FIRST = settings({ algorithm: 'first' });

  it('takes the lowest usable id, whatever the weights and the load', () => {
    const list = servers([1, 9, 5], [{ id: 5 }, { id: 2 }, { id: 3 }]);
    const b = createBalancer(FIRST, list);
    expect(b.pick(CTX)!.name).toBe('s2');
    take(b, list[1]!);
    take(b, list[1]!);
    expect(b.pick(CTX)!.name).toBe('s2');
    list[1]!.up = false;
    b.update(list[1]!);
    expect(b.pick(CTX)!.name).toBe('s3');
    expect(b.pick(CTX, list[2])!.name).toBe('s1');
  });

  it('ignores weight 0 servers and uses the first backup only when no active is up', () => {
    const list = servers([0, 1, 1], [{}, { backup: true, up: true }, { backup: true }]);
    const b = createBalancer(FIRST, list);
    expect(b.pick(CTX)!.name).toBe('s2');
    list[0]!.weight = 1;
    b.update(list[0]!);
    expect(b.pick(CTX)!.name).toBe('s1');
  });
});
