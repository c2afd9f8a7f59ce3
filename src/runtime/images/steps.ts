/** One step of making base images present: the CLI shows each as a listr2 task. */
export type { PreparationStep as ImageStep } from '../types.js';
