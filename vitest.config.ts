import { defineConfig } from 'vitest/config';

/**
 * Two projects: the whole suite on SQLite always, and again on PostgreSQL when
 * TEST_DATABASE_URL is set (each test file then makes and drops its own databases).
 */
const dialects = ['sqlite', ...(process.env.TEST_DATABASE_URL && process.env.CARLY_TEST_POSTGRES !== 'off' ? ['postgresql'] : [])];

export default defineConfig({
  test: {
    // The web console is built once per run (a hash check when nothing changed), for the files that load it.
    globalSetup: ['test/helpers/console-build.ts'],
    projects: dialects.map((dialect) => ({
      test: {
        name: dialect,
        include: ['test/**/*.test.ts'],
        env: { CARLY_TEST_DIALECT: dialect },
        // Each file starts its own servers on its own data; files run in parallel processes.
        pool: 'forks',
        // Generous: many tests spawn real server processes, and the machine may be shared.
        testTimeout: 60_000,
        hookTimeout: 120_000,
      },
    })),
  },
});
