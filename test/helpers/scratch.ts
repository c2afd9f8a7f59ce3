/**
 * Temporary directories for tests, inside the run's scratch directory: test/global-teardown.ts
 * makes it before the run and removes it, with everything in it, when the run ends. A test
 * that fails before its own clean-up, or keeps a lab's directory for its report, leaves
 * nothing behind in the system's temporary directory.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

/** A new directory named `prefix` + random characters, in the run's scratch directory. */
export function scratchDir(prefix: string): Promise<string> {
  // Outside a run with the global setup (a file run by another config) it is the system's.
  return mkdtemp(join(inject('scratchRoot') ?? tmpdir(), prefix));
}
