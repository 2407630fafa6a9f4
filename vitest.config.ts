import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests need no database; everything else shares one
// embedded PostgreSQL cluster started once per run by the global setup, and each
// test file clones its own database from a migrated template.
export default defineConfig({
  test: {
    // Tests wait on jobs that become due later (a retry, an export's Retry-After): a worker
    // that looks for them every 2 s, as in production, spends most of such a test asleep.
    // process.env, so hub processes a test spawns poll as often.
    env: { HUB_WORKER_POLL_MS: '100' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/contract/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
