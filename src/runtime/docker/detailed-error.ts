/**
 * An environment error (exit 3) whose one line is followed by the evidence: a failing build
 * step's output, or a container's last log lines. The first line stays the one-line summary.
 */
import { EnvironmentError } from '../../errors.js';

export class DetailedEnvironmentError extends EnvironmentError {
  constructor(message: string, hint: string | undefined, readonly detail: string) {
    super(message, hint);
  }

  override oneLine(): string {
    return this.detail ? `${super.oneLine()}\n${this.detail}` : super.oneLine();
  }
}
