/**
 * `check --timings` accounts for the time it measured: each phase's time is the span from
 * its start to the next phase's, each step's the span to the next step or the phase's end,
 * the phases never sum past the total, and the text names every phase and step with its
 * seconds. A hand-driven clock makes every number exact.
 */
import { describe, expect, it } from 'vitest';
import { renderTimings, StepClock } from '../../../src/cli/timings.js';

function clockAt(): { clock: StepClock; tick: (ms: number) => void } {
  let now = 1_000;
  const clock = new StepClock(() => now);
  return { clock, tick: (ms) => { now += ms; } };
}

describe('StepClock', () => {
  it('times phases end to end and steps until the next step or the phase end', () => {
    const { clock, tick } = clockAt();
    tick(50); // before the first phase: the CLI choosing a runtime
    clock.phase('up');
    tick(200);
    clock.step('apps answer');
    tick(300);
    clock.step('proxies answer');
    tick(100);
    clock.phase('verify');
    clock.step('random: 1602 sequential requests');
    tick(2_000);
    clock.phase('down');
    tick(400);
    const timed = clock.result();
    expect(timed.totalMs).toBe(3_050);
    expect(timed.phases.map((p) => [p.name, p.ms])).toEqual([['up', 600], ['verify', 2_000], ['down', 400]]);
    expect(timed.phases[0]!.steps).toEqual([{ text: 'apps answer', ms: 300 }, { text: 'proxies answer', ms: 100 }]);
    expect(timed.phases[1]!.steps).toEqual([{ text: 'random: 1602 sequential requests', ms: 2_000 }]);
    expect(timed.phases[2]!.steps).toEqual([]);
  });

  it('a step reported outside any phase is dropped, and closing twice changes nothing', () => {
    const { clock, tick } = clockAt();
    clock.step('nobody listens');
    clock.phase('up');
    tick(10);
    clock.close();
    tick(90);
    clock.close();
    expect(clock.result().phases).toEqual([{ name: 'up', ms: 10, steps: [] }]);
  });

  it('renders each phase with its share and each step indented, and names the time no phase took', () => {
    const text = renderTimings({
      totalMs: 12_500,
      phases: [
        { name: 'up', ms: 2_000, steps: [{ text: 'apps answer', ms: 1_500 }] },
        { name: 'verify', ms: 10_000, steps: [{ text: 'hash: 1524 keys × 3 rounds', ms: 10_000 }] },
      ],
    });
    expect(text.split('\n')).toEqual([
      'timings: 12.5 s in all',
      '  up        2.00 s   16 %',
      '            1.50 s    apps answer',
      '  verify    10.0 s   80 %',
      '            10.0 s    hash: 1524 keys × 3 rounds',
      '  (rest)    0.50 s    4 %  choosing the runtime, reading the lab, printing',
      '',
    ]);
  });
});
