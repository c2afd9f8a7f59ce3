/**
 * Runs jobs at most `limit` at a time, never two at once that claim the same resource (a
 * host port a lab publishes, a client subnet it creates): the catalogue's labs use fixed
 * ones, and two labs holding one would collide. Jobs start in the order given as soon as
 * a slot and their resources are free; a job that waits does not hold back the ones after
 * it whose resources are free. An exclusive job runs alone: it waits until nothing runs,
 * and nothing starts beside it (a lab whose checks time its servers under load).
 */

export interface ScheduledJob<T> {
  /** Resources the job holds while it runs ("port:8090", "subnet:192.168.0.0/20"). */
  resources: readonly string[];
  /** Runs with nothing else beside it. */
  exclusive?: boolean;
  run(): Promise<T>;
}

/** Each job's result (or the error it threw), in the order of `jobs`. */
export async function runScheduled<T>(jobs: readonly ScheduledJob<T>[], limit: number, signal?: AbortSignal): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(jobs.length);
  const held = new Set<string>();
  const waiting = jobs.map((_, i) => i);
  let running = 0;
  let alone = false;
  return new Promise((resolve) => {
    const finish = (i: number, r: PromiseSettledResult<T>) => {
      results[i] = r;
      running--;
      for (const res of jobs[i]!.resources) held.delete(res);
      if (jobs[i]!.exclusive) alone = false;
      pump();
    };
    const pump = () => {
      // Once aborted, jobs not yet started are not started: each settles as cancelled.
      if (signal?.aborted) for (const i of waiting.splice(0)) results[i] = { status: 'rejected', reason: new Error('cancelled before it started') };
      for (let k = 0; k < waiting.length && running < limit && !alone; ) {
        const i = waiting[k]!;
        // An exclusive job that waits for the others to finish holds back those after it,
        // or it could wait for ever behind a stream of short ones.
        if (jobs[i]!.exclusive && running > 0) break;
        if (jobs[i]!.resources.some((r) => held.has(r))) {
          k++;
          continue;
        }
        waiting.splice(k, 1);
        for (const r of jobs[i]!.resources) held.add(r);
        if (jobs[i]!.exclusive) alone = true;
        running++;
        // A job that throws synchronously settles like one that rejects.
        Promise.resolve().then(() => jobs[i]!.run()).then(
          (value) => finish(i, { status: 'fulfilled', value }),
          (reason: unknown) => finish(i, { status: 'rejected', reason }),
        );
      }
      if (running === 0 && waiting.length === 0) resolve(results);
    };
    signal?.addEventListener('abort', pump, { once: true });
    pump();
  });
}
