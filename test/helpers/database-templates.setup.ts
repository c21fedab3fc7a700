import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createScratchPostgres } from '../../scripts/lib/scratch-postgres.js';
import { openDatabase } from '../../server/db/orm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A SQLite file with every migration applied and no rows: what a first start makes. */
    sqliteTemplate: string | undefined;
    /** The same as a PostgreSQL database name, to copy with CREATE DATABASE … TEMPLATE. */
    postgresTemplate: string | undefined;
  }
}

/**
 * Vitest global setup, per project: migrates one database per run, and startServer boots on a
 * copy of it instead of migrating a fresh one every time (~100 boots per project). The migrations
 * themselves run from nothing in test/migrations.test.ts and in every spawned server process.
 */
export default async function setup(project: TestProject) {
  if (project.config.env?.CARLY_TEST_DIALECT === 'postgresql' && process.env.TEST_DATABASE_URL) {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL);
    // Closed before any copy: PostgreSQL copies a template only while nobody is connected to it.
    await (await openDatabase({ kind: 'postgresql', url: scratch.url })).close(true);
    project.provide('postgresTemplate', new URL(scratch.url).pathname.slice(1));
    return () => scratch.drop();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-sqlite-template-'));
  const file = path.join(dir, 'carly.sqlite');
  // Closing checkpoints the WAL into the file, so the file alone is the whole database.
  await (await openDatabase({ kind: 'sqlite', file })).close(true);
  project.provide('sqliteTemplate', file);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
