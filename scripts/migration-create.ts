/**
 * Writes a migration for the entity changes since the last snapshot, for both dialects:
 *   npm run migration:create
 * SQLite diffs against a throwaway file; PostgreSQL needs TEST_DATABASE_URL (a scratch database
 * is created and dropped).
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { openMigrator } from '../server/db/migrate.js';
import { migrationsDir, ormOptions, SCHEMA_UNDESCRIBED_INDEXES } from '../server/db/orm.js';
import { writeMigrationIndex } from './lib/migration-index.js';
import { withScratchPostgres } from './lib/scratch-postgres.js';

async function create(orm: MikroORM, dialect: 'sqlite' | 'postgresql') {
  const migrator = await openMigrator(orm, dialect);
  await migrator.up();
  const result = await migrator.createMigration(undefined, false, (await migrator.getExecutedMigrations()).length === 0);
  if (result.fileName) {
    // The diff would drop indexes no entity can describe (db/orm.ts SCHEMA_UNDESCRIBED_INDEXES).
    const file = path.join(migrationsDir(dialect), result.fileName);
    const kept = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !SCHEMA_UNDESCRIBED_INDEXES.some((name) => line.includes(`drop index \\"${name}\\"`) || line.includes(`drop index "${name}"`)));
    fs.writeFileSync(file, kept.join('\n'));
  }
  writeMigrationIndex(migrationsDir(dialect));
  console.log(result.fileName ? `${dialect}: wrote ${result.fileName}` : `${dialect}: no changes`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-migration-'));
const sqlite = await MikroORM.init(await ormOptions({ kind: 'sqlite', file: path.join(dir, 'scratch.sqlite') }, true));
await create(sqlite, 'sqlite');
await sqlite.close(true);
fs.rmSync(dir, { recursive: true, force: true });

if (process.env.TEST_DATABASE_URL) {
  await withScratchPostgres(process.env.TEST_DATABASE_URL, async (url) => {
    const pg = await MikroORM.init(await ormOptions({ kind: 'postgresql', url }, true));
    await create(pg, 'postgresql');
    await pg.close(true);
  });
} else {
  console.log('postgresql: skipped (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres)');
}
