/**
 * The health model's judges on made-up streams: bounds computed from inter/fall/rise; a
 * server leaving late or early, answering while down, coming back early or late, or a
 * backup answering while actives are up, each fails.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSpec } from '../../../src/lab-schema/types.js';
import { healthBounds, judgeBack, judgeBackup, judgeOut } from '../../../src/verify/models/health.js';

const backend: BackendSpec = {
  name: 'servers',
  balance: 'roundrobin',
  servers: [
    { name: 's1', app: 'a1', weight: 1, check: true },
    { name: 's2', app: 'a2', weight: 1, check: true },
    { name: 'bk', app: 'a3', weight: 1, check: true, backup: true },
  ],
};
const b = healthBounds({ interMs: 500, fall: 2, rise: 2 }, 50, 2);
/** One sample every 50 ms from t = 0 to `until`, answered by `who(t)`. */
const stream = (until: number, who: (t: number) => string) =>
  Array.from({ length: until / 50 }, (_, i) => ({ sentAt: i * 50, response: { status: 200, servedBy: who(i * 50), body: '', sentAtMs: 0, doneAtMs: 0 } }));

describe('health judges', () => {
  it('computes the bounds from inter, fall and rise', () => {
    expect(b).toMatchObject({ outMaxMs: 2000, backMaxMs: 2000, backMinMs: 400 });
  });

  it('out: leaving within the bound passes; never leaving, or leaving at once, fails', () => {
    const flip = { start: 1000, end: 1000 };
    const alternate = (t: number) => ((t / 50) % 2 === 0 ? 'a1' : 'a2');
    const leaves = stream(6000, (t) => (t < 1800 ? alternate(t) : 'a2'));
    expect(judgeOut('h', backend, 's1', leaves, flip, 6000, b).map((c) => c.pass)).toEqual([true, true]);
    const stays = stream(6000, alternate);
    expect(judgeOut('h', backend, 's1', stays, flip, 6000, b).map((c) => c.pass)).toEqual([false, false]);
    const atOnce = stream(6000, (t) => (t < 1050 ? alternate(t) : 'a2'));
    expect(judgeOut('h', backend, 's1', atOnce, flip, 6000, b)[0]!.pass).toBe(false);
  });

  it('back: between (rise − 1) × inter and the bound after healing', () => {
    const heal = { start: 0, end: 0 };
    expect(judgeBack('h', backend, 's1', stream(4000, (t) => (t >= 900 ? 'a1' : 'a2')), heal, b).pass).toBe(true);
    expect(judgeBack('h', backend, 's1', stream(4000, (t) => (t >= 100 ? 'a1' : 'a2')), heal, b).pass).toBe(false);
    expect(judgeBack('h', backend, 's1', stream(4000, () => 'a2'), heal, b).pass).toBe(false);
  });

  it('backup: idle while actives are up, everything once all are down', () => {
    const allDown = { start: 3000, end: 3000 };
    const good = stream(7000, (t) => (t < 4000 ? 'a1' : 'a3'));
    expect(judgeBackup('h', backend, good, allDown, b).map((c) => c.pass)).toEqual([true, true]);
    const busy = stream(7000, (t) => (t < 500 ? 'a3' : t < 4000 ? 'a1' : 'a3'));
    expect(judgeBackup('h', backend, busy, allDown, b)[0]!.pass).toBe(false);
    const never = stream(7000, () => 'a1');
    expect(judgeBackup('h', backend, never, allDown, b)[1]!.pass).toBe(false);
  });
});
