/**
 * The listr2 task that makes what a runtime needs on this machine before `up` (base images
 * pulled or built, once): one subtask per step, each with its progress lines. `up` would
 * do the same steps itself; here the user sees each one.
 */
import type { ListrTask } from 'listr2';
import { ExitCode, HaplabError } from '../errors.js';
import type { Runtime } from '../runtime/types.js';

export function prepareTask<C>(target: (ctx: C) => { runtime: Runtime; dir: string }, signal: AbortSignal): ListrTask<C> {
  return {
    title: 'prepare',
    task: async (ctx, task) => {
      const { runtime, dir } = target(ctx);
      const steps = await runtime.prepare(dir, { signal });
      if (steps.length === 0) {
        task.skip('nothing to make');
        return;
      }
      task.title = `prepare: ${steps.length} step${steps.length === 1 ? '' : 's'}, once`;
      return task.newListr(steps.map((step) => ({
        title: step.title,
        skip: () => step.skip(),
        task: async (_: unknown, sub: { output: string }) => {
          try {
            await step.run((line) => { sub.output = line; });
          } catch (err) {
            // Ctrl-C: the step's scratch files are gone with it; say so instead of the abort's stack.
            if (signal.aborted) throw new HaplabError(`interrupted: ${step.title} was not finished, nothing of it is kept`, ExitCode.interrupted);
            throw err;
          }
        },
      })), { concurrent: false, exitOnError: true });
    },
  };
}
