/** One step of making base images present: the CLI shows each as a listr2 task. */
export interface ImageStep {
  title: string;
  /** A reason to skip (e.g. "already there"), or false to run. */
  skip: () => Promise<string | false>;
  /** Does the work; `report` shows progress lines. */
  run: (report: (line: string) => void) => Promise<void>;
}
