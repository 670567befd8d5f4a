import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,server,sdk}/**/*.test.ts'],
    globalSetup: ['./test-support/global-setup.ts'],
    reporters: ['default', './test-support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files that open PGlite hold ~100 MB each; two cores run two at a time.
    maxWorkers: 2,
    env: { TZ: 'UTC' },
  },
});
