/**
 * `--timings`: where each second of a check goes. The phases are the check's own (new,
 * prepare, up, verify, down); inside a phase, each progress step the runtime or the
 * verifier reports (onStep) is timed until the next one, so the breakdown names the work
 * the way the progress display did ("random: 1602 sequential requests to http_front").
 */

export interface TimedStep {
  text: string;
  ms: number;
}

export interface TimedPhase {
  name: string;
  ms: number;
  steps: TimedStep[];
}

export class StepClock {
  private readonly phases: TimedPhase[] = [];
  private phaseStart = 0;
  private stepStart = 0;
  private readonly started: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.started = now();
  }

  /** Starts a phase (closing the one before). */
  phase(name: string): void {
    this.close();
    const at = this.now();
    this.phases.push({ name, ms: 0, steps: [] });
    this.phaseStart = at;
    this.stepStart = at;
  }

  /** A progress step inside the current phase: the step before it ends here. */
  step(text: string): void {
    const current = this.phases[this.phases.length - 1];
    if (!current) return;
    const at = this.now();
    this.closeStep(current, at);
    current.steps.push({ text, ms: 0 });
    this.stepStart = at;
  }

  /** Closes the current phase; the clock can go on with another. */
  close(): void {
    const current = this.phases[this.phases.length - 1];
    if (!current || current.ms > 0) return;
    const at = this.now();
    this.closeStep(current, at);
    current.ms = Math.max(at - this.phaseStart, Number.MIN_VALUE);
  }

  /** What was timed, every phase closed. */
  result(): { totalMs: number; phases: TimedPhase[] } {
    this.close();
    return { totalMs: this.now() - this.started, phases: this.phases.map((p) => ({ ...p, steps: [...p.steps] })) };
  }

  private closeStep(phase: TimedPhase, at: number): void {
    const last = phase.steps[phase.steps.length - 1];
    if (last && last.ms === 0) last.ms = Math.max(at - this.stepStart, Number.MIN_VALUE);
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** The breakdown as text: a line per phase, an indented line per step, the rest of the time named. */
export function renderTimings(timed: { totalMs: number; phases: readonly TimedPhase[] }): string {
  const lines = [`timings: ${seconds(timed.totalMs)} in all`];
  const width = Math.max(...timed.phases.map((p) => p.name.length), 0);
  for (const phase of timed.phases) {
    lines.push(`  ${phase.name.padEnd(width)}  ${seconds(phase.ms).padStart(8)}  ${share(phase.ms, timed.totalMs)}`);
    for (const step of phase.steps) lines.push(`  ${''.padEnd(width)}  ${seconds(step.ms).padStart(8)}    ${step.text}`);
  }
  const accounted = timed.phases.reduce((sum, p) => sum + p.ms, 0);
  const rest = timed.totalMs - accounted;
  if (rest >= 5) lines.push(`  ${'(rest)'.padEnd(width)}  ${seconds(rest).padStart(8)}  ${share(rest, timed.totalMs)}  choosing the runtime, reading the lab, printing`);
  return `${lines.join('\n')}\n`;
}

function share(ms: number, total: number): string {
  return total > 0 ? `${Math.round((100 * ms) / total).toString().padStart(3)} %` : '';
}
