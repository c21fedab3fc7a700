import path from 'node:path';
import type { EntityManager } from '@mikro-orm/knex';
import { describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import type { Config } from '../server/config.js';
import { migrateIfPending, pendingMigrations } from '../server/db/migrate.js';
import { migrations as postgresqlMigrations } from '../server/db/migrations/postgresql/index.js';
import { migrationNames as postgresqlNames } from '../server/db/migrations/postgresql/names.js';
import { migrations as sqliteMigrations } from '../server/db/migrations/sqlite/index.js';
import { migrationNames as sqliteNames } from '../server/db/migrations/sqlite/names.js';
import { openDatabase } from '../server/db/orm.js';
import { tempDir } from './helpers/server.js';

/**
 * A start loads the migrator only when the database lacks one of this code's migrations
 * (server/db/migrate.ts). The decision reads mikro_orm_migrations against names.ts, so names.ts
 * must list exactly what index.ts runs, and the decision must see a missing one.
 */
async function decisions(database: Config['database']) {
  const orm = await openDatabase(database);
  try {
    const afterOpen = await pendingMigrations(orm, database.kind);
    const em = orm.em.fork() as unknown as EntityManager;
    const names = database.kind === 'sqlite' ? sqliteNames : postgresqlNames;
    const last = names[names.length - 1]!;
    // As if this code were one migration newer than the database: the row goes, the migration is pending.
    await em.execute('delete from mikro_orm_migrations where name = ?', [last]);
    const afterDelete = await pendingMigrations(orm, database.kind);
    // Running it again would fail on tables it creates, so the record is put back instead of migrating.
    await em.execute('insert into mikro_orm_migrations (name) values (?)', [last]);
    const afterRestore = await pendingMigrations(orm, database.kind);
    return { afterOpen, afterDelete, afterRestore, last, ranNothing: await migrateIfPending(orm, database.kind) };
  } finally {
    await orm.close(true);
  }
}

describe('pending migrations (server/db/migrate.ts)', () => {
  it("names.ts lists exactly index.ts's migrations, in order, for both dialects", () => {
    expect([...sqliteNames]).toEqual(sqliteMigrations.map((m) => m.name));
    expect([...postgresqlNames]).toEqual(postgresqlMigrations.map((m) => m.name));
  });

  it('sqlite: none after a start, the missing one when its row is gone, none when it is back', async () => {
    const result = await decisions({ kind: 'sqlite', file: path.join(tempDir(), 'p.sqlite') });
    expect(result).toEqual({ afterOpen: [], afterDelete: [result.last], afterRestore: [], last: result.last, ranNothing: 0 });
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    process.env.TEST_DATABASE_URL ? 'postgresql: the same' : 'postgresql (skipped: set TEST_DATABASE_URL=postgres://… to run it)',
    async () => {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
      try {
        const result = await decisions({ kind: 'postgresql', url: scratch.url });
        expect(result).toEqual({ afterOpen: [], afterDelete: [result.last], afterRestore: [], last: result.last, ranNothing: 0 });
      } finally {
        await scratch.drop();
      }
    },
  );
});
