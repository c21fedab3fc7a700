import os from 'node:os';
import { defineConfig } from 'vitest/config';
import { HeavyFirstSequencer } from './test/helpers/sequencer.js';

/**
 * Projects (docs/development.md):
 * - `unit`: pure functions (test/unit/), no server, no database: seconds. `npm run test:unit`.
 * - `sqlite`: every other file, on SQLite, always.
 * - `postgresql`: the same files again when TEST_DATABASE_URL is set (each test file then makes
 *   and drops its own databases).
 */
const dialects = ['sqlite', ...(process.env.TEST_DATABASE_URL && process.env.CARLY_TEST_POSTGRES !== 'off' ? ['postgresql'] : [])];

export default defineConfig({
  test: {
    // The web console is built once per run (a hash check when nothing changed), for the files that
    // load it; the sources spawned as processes are compiled once per run (test/helpers/compiled-build.ts).
    globalSetup: ['test/helpers/console-build.ts', 'test/helpers/compiled-build.ts'],
    // Files mostly wait (on servers they spawn, on the network, on builds), so more of them run at
    // once than there are cores; vitest's default (cores - 1) ran the suite one file at a time on 2
    // cores. VITEST_MAX_WORKERS (or --maxWorkers) overrides it.
    maxWorkers: Math.max(2, os.availableParallelism() + 1),
    // The longest files start first even with no earlier run's timings (test/helpers/sequencer.ts).
    sequence: { sequencer: HeavyFirstSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      ...dialects.map((dialect) => ({
        test: {
          name: dialect,
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
          env: { CARLY_TEST_DIALECT: dialect },
          // One migrated database per run, which startServer copies (test/helpers/server.ts).
          globalSetup: ['test/helpers/database-templates.setup.ts'],
          // Each file starts its own servers on its own data; files run in parallel processes.
          pool: 'forks' as const,
          // A worker runs its files one after another in one process and keeps the modules they
          // load (MikroORM, Fastify, the server: ~2 s of CPU per file, "import" in vitest's summary)
          // instead of loading them again for every file. The files share no state through them:
          // each starts its own servers on its own data and closes them. CARLY_TEST_ISOLATE=1
          // gives every file a fresh process again (docs/development.md).
          isolate: process.env.CARLY_TEST_ISOLATE === '1',
          // Generous: many tests spawn real server processes, and the machine may be shared.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      })),
    ],
  },
});
