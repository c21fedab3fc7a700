import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection, EntityManager } from '@mikro-orm/knex';
import type { Migrator } from '@mikro-orm/migrations';
import type { Dialect } from './dialect.js';
import { migrationNames as postgresqlNames } from './migrations/postgresql/names.js';
import { migrationNames as sqliteNames } from './migrations/sqlite/names.js';
import { withStartupLock } from './startup-lock.js';

/** MikroORM's table of executed migrations (its default `migrations.tableName`). */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/**
 * The names of this code's migrations that the database has not run, in order (all of them on a
 * new database). Reads the table directly, so a start with nothing to do never loads the
 * migrator (docs/performance.md, "Idle memory").
 */
export async function pendingMigrations(orm: MikroORM, dialect: Dialect): Promise<string[]> {
  const known = dialect === 'sqlite' ? sqliteNames : postgresqlNames;
  const connection = orm.em.getConnection() as AbstractSqlConnection;
  const exists =
    dialect === 'sqlite'
      ? `select count(*) as n from sqlite_master where type = 'table' and name = '${MIGRATIONS_TABLE}'`
      : `select count(*)::int as n from pg_catalog.pg_tables where tablename = '${MIGRATIONS_TABLE}' and schemaname = any(current_schemas(false))`;
  const [table] = await connection.execute<{ n: number }[]>(exists);
  if (Number(table?.n ?? 0) === 0) return [...known];
  const done = new Set((await connection.execute<{ name: string }[]>(`select name from ${MIGRATIONS_TABLE}`)).map((row) => row.name));
  return known.filter((name) => !done.has(name));
}

/**
 * A MikroORM migrator over this dialect's migrations, loaded for the occasion: @mikro-orm/migrations
 * and the migration classes are imported here only, never at a module's top, and the migrator is
 * not registered with the ORM, so nothing keeps it once its caller is done. (Node keeps an imported
 * ES module's code for the life of the process: a start that migrates keeps ~the code, a start
 * with nothing pending never loads it.)
 */
export async function openMigrator(orm: MikroORM, dialect: Dialect): Promise<Migrator> {
  const [{ Migrator }, { migrations }] = await Promise.all([
    import('@mikro-orm/migrations'),
    dialect === 'sqlite' ? import('./migrations/sqlite/index.js') : import('./migrations/postgresql/index.js'),
  ]);
  orm.config.get('migrations').migrationsList = migrations;
  return new Migrator(orm.em as EntityManager);
}

/**
 * Runs pending migrations, if any: on PostgreSQL under the start-up lock (several instances may
 * start at once on an empty database) and without the statement timeout (a migration may
 * rewrite a large table), in one transaction. Returns how many were pending before.
 */
export async function migrateIfPending(orm: MikroORM, dialect: Dialect): Promise<number> {
  const pending = (await pendingMigrations(orm, dialect)).length;
  if (pending === 0) return 0;
  const migrator = await openMigrator(orm, dialect);
  if (dialect === 'sqlite') {
    await migrator.up();
    return pending;
  }
  const connection = orm.em.getConnection() as AbstractSqlConnection;
  await withStartupLock(orm, () =>
    connection.transactional(async (trx) => {
      await connection.execute('set local statement_timeout = 0', [], 'run', trx);
      await migrator.up({ transaction: trx });
    }),
  );
  return pending;
}
