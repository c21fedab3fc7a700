import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM, type Options } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Config } from '../config.js';
import { entities } from './entities.js';
import { migrations as sqliteMigrations } from './migrations/sqlite/index.js';
import { migrations as postgresqlMigrations } from './migrations/postgresql/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export type Dialect = Config['database']['kind'];

/** Migrations are per dialect (MikroORM cannot share them across drivers). */
export const migrationsDir = (dialect: Dialect) => path.join(here, 'migrations', dialect);

interface SqliteConnection {
  pragma(source: string): unknown;
}

/** The MikroORM options for one database; shared by the server, the scripts and the tests. */
export function ormOptions(database: Config['database'], authoring = false): Options {
  const common = {
    entities,
    extensions: [Migrator],
    // Entities are declared with EntitySchema: no reflection, no discovery cache needed.
    discovery: { warnWhenNoEntities: true },
    forceUtcTimezone: true,
    migrations: {
      // New migrations are written here (npm run migration:create); the server runs the static list.
      path: migrationsDir(database.kind),
      pathTs: migrationsDir(database.kind),
      migrationsList: database.kind === 'sqlite' ? sqliteMigrations : postgresqlMigrations,
      emit: 'ts' as const,
      // Only `npm run migration:create` keeps the snapshot: after running migrations MikroORM
      // would otherwise rewrite it (in the source tree) from whatever database it ran on.
      snapshot: authoring,
      snapshotName: '.snapshot',
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
  };
  if (database.kind === 'sqlite') {
    return {
      ...common,
      driver: BetterSqliteDriver,
      dbName: database.file,
      pool: {
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
          // WAL lets readers run while a write commits; a busy timeout waits out another
          // process's write lock instead of failing at once.
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    } as Options;
  }
  return { ...common, driver: PostgreSqlDriver, clientUrl: database.url } as Options;
}

/** Opens the database, creating the SQLite folder when needed, and runs pending migrations. */
export async function openDatabase(database: Config['database']): Promise<MikroORM> {
  if (database.kind === 'sqlite') fs.mkdirSync(path.dirname(database.file), { recursive: true });
  const orm = await MikroORM.init(ormOptions(database));
  await orm.getMigrator().up();
  return orm;
}

/** A request-scoped entity manager: both our drivers are SQL drivers, so query builders exist. */
export const forkEntityManager = (orm: MikroORM): EntityManager => orm.em.fork() as EntityManager;
