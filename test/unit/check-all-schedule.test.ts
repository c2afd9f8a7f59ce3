/**
 * check --all's scheduler: never more than the limit at once, never two jobs holding one
 * resource at once, every job run once and its result in the order given, a failure kept
 * without stopping the others, and nothing started after an abort.
 */
import { describe, expect, it } from 'vitest';
import { runScheduled, type ScheduledJob } from '../../src/cli/check-all/schedule.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const active = new Set<number>();
  const held = new Map<string, number>();
  let peak = 0;
  const clashes: string[] = [];
  const started: number[] = [];
  const job = (id: number, resources: string[], ms: number, fail = false): ScheduledJob<number> => ({
    resources,
    async run() {
      started.push(id);
      for (const r of resources) {
        if (held.has(r)) clashes.push(`${r}: ${held.get(r)} and ${id}`);
        held.set(r, id);
      }
      active.add(id);
      peak = Math.max(peak, active.size);
      await tick(ms);
      active.delete(id);
      for (const r of resources) held.delete(r);
      if (fail) throw new Error(`job ${id} failed`);
      return id * 10;
    },
  });
  return { job, started, clashes, peak: () => peak };
}

describe('runScheduled', () => {
  it('runs up to the limit at once and returns results in the given order', async () => {
    const r = recorder();
    const jobs = [0, 1, 2, 3, 4, 5].map((i) => r.job(i, [`port:${8000 + i}`], 20 + (5 - i) * 5));
    const results = await runScheduled(jobs, 3);
    expect(results.map((x) => (x.status === 'fulfilled' ? x.value : x.reason))).toEqual([0, 10, 20, 30, 40, 50]);
    expect(r.peak()).toBe(3);
    expect(r.clashes).toEqual([]);
  });

  it('never runs two jobs that share a resource together, and lets others past the one that waits', async () => {
    const r = recorder();
    const jobs = [r.job(0, ['port:5001'], 40), r.job(1, ['port:5001', 'port:9000'], 10), r.job(2, ['port:6000'], 10)];
    await runScheduled(jobs, 3);
    expect(r.clashes).toEqual([]);
    // Job 2 did not wait behind job 1, which waited for job 0's port.
    expect(r.started).toEqual([0, 2, 1]);
  });

  it('an exclusive job runs alone: it waits for the running ones, and nothing starts beside it', async () => {
    const r = recorder();
    const log: string[] = [];
    const wrap = (id: number, exclusive: boolean, ms: number): ScheduledJob<number> => {
      const inner = r.job(id, [], ms);
      return { resources: [], exclusive, run: async () => { log.push(`+${id}`); const v = await inner.run(); log.push(`-${id}`); return v; } };
    };
    await runScheduled([wrap(0, false, 30), wrap(1, true, 20), wrap(2, false, 10), wrap(3, false, 10)], 3);
    expect(log.slice(0, 4)).toEqual(['+0', '-0', '+1', '-1']);
    expect(log.slice(4).sort()).toEqual(['+2', '+3', '-2', '-3']);
  });

  it('a failed job is reported and the rest still run', async () => {
    const r = recorder();
    const results = await runScheduled([r.job(0, [], 5, true), r.job(1, [], 5), r.job(2, [], 5)], 1);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toContain('job 0 failed');
  });

  it('after an abort nothing more starts; the running ones finish', async () => {
    const r = recorder();
    const controller = new AbortController();
    const jobs = [0, 1, 2, 3].map((i) => r.job(i, [], 30));
    setTimeout(() => controller.abort(), 10);
    const results = await runScheduled(jobs, 2, controller.signal);
    expect(r.started).toEqual([0, 1]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });
});
