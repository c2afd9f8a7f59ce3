import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // e2e suites share one Docker engine and fixed lab ports: run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
    // After the whole run: assert nothing labelled or marked by haplab is left (see the file).
    globalSetup: ['test/global-teardown.ts'],
  },
});
