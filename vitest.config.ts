import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test-support/global-setup.ts'],
    reporters: ['default', './test-support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files that open PGlite hold ~100 MB each; two cores run two at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['{protocol,server,sdk}/**/*.test.ts'], env: { TZ: 'UTC' } },
      },
      // Time-zone code again with the machine in a far zone (+12:45/+13:45, a 45-minute offset
      // and daylight saving): the server must not depend on the process's zone. Node re-reads TZ.
      {
        extends: true,
        test: {
          name: 'tz-chatham',
          include: ['server/src/booking/**/*.test.ts', 'server/test/api/availability.test.ts'],
          env: { TZ: 'Pacific/Chatham' },
        },
      },
      // Components of the web app without a browser (happy-dom), on the real SDK and server.
      {
        extends: true,
        test: {
          name: 'components',
          include: ['web/test/components/**/*.test.tsx'],
          setupFiles: ['web/test/components/setup.ts'],
          environment: 'happy-dom',
          env: { TZ: 'UTC' },
        },
      },
      // Real Chromium with real media: after everything else (groupOrder), one file at a time, so
      // two call-making browsers never compete with each other or the database suites for two cores.
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['web/**/*.test.ts'],
          env: { TZ: 'UTC' },
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 120_000,
        },
      },
    ],
  },
});
