import path from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { Config } from '../config.js';
import { preparePrivateSqliteFile } from '../ops/private-files.js';
import { REPO_ROOT } from '../paths.js';
import { type Dialect, loadDriver } from './dialect.js';
import { entities } from './entities.js';
import { migrateIfPending } from './migrate.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES } from './wal-checkpointer.js';

/**
 * Migrations are per dialect (MikroORM cannot share them across drivers). This is their source
 * folder, where `npm run migration:create` writes; the server runs the compiled static list
 * (migrate.ts openMigrator sets it as `migrationsList`), from server/ or dist/ alike.
 */
export const migrationsDir = (dialect: Dialect) => path.join(REPO_ROOT, 'server', 'db', 'migrations', dialect);

/**
 * Tables no entity describes, made by migrations: the FTS5 search index (customers_search) and its
 * shadow tables, where the search indexer has got to (search_indexed, SQLite's watermark;
 * search_pending, PostgreSQL's queue) and the typo dictionary's alphabet (search_alphabet).
 */
export const SCHEMA_SKIPPED_TABLES: readonly RegExp[] = [/^customers_search(_|$)/, /^search_(pending|indexed|alphabet)$/];
/**
 * Indexes a migration made that no entity can describe (PostgreSQL's GIN trigram index: an
 * entity's index is the same on both dialects). The schema diff proposes dropping them; the
 * migrations test ignores that line and `npm run migration:create` strips it.
 */
export const SCHEMA_UNDESCRIBED_INDEXES: readonly string[] = ['customers_search_text_trgm'];
/** The schema-diff statements that drop one of SCHEMA_UNDESCRIBED_INDEXES. */
export const dropsUndescribedIndex = (statement: string) => SCHEMA_UNDESCRIBED_INDEXES.some((name) => statement.trim() === `drop index "${name}";`);

interface SqliteConnection {
  pragma(source: string): unknown;
}

/**
 * The MikroORM options for one database; shared by the server, the scripts and the tests. Loads
 * that dialect's driver only (dialect.ts). No migrator: migrate.ts brings one when needed.
 */
export async function ormOptions(database: Config['database'], authoring = false): Promise<Options> {
  const driver = await loadDriver(database.kind);
  const common = {
    entities,
    // Entities are declared with EntitySchema: no reflection, no discovery cache needed.
    discovery: { warnWhenNoEntities: true },
    forceUtcTimezone: true,
    // SQLite's FTS5 search index and its shadow tables are made by a migration (search/), not
    // described by entities: the schema diff must leave them alone.
    schemaGenerator: { skipTables: [...SCHEMA_SKIPPED_TABLES] },
    migrations: {
      // New migrations are written here (npm run migration:create); the server runs the static list.
      path: migrationsDir(database.kind),
      pathTs: migrationsDir(database.kind),
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
      driver,
      dbName: database.file,
      pool: {
        afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) {
          // WAL lets readers run while a write commits; a busy timeout waits out another
          // process's write lock instead of failing at once.
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          // Deleted rows are overwritten with zeros, not left in free space: after an erasure
          // (and a WAL checkpoint, see privacy/sqlite-scrub.ts) no byte of them is in the files.
          // The import's writer runs on this same connection.
          conn.pragma('secure_delete = ON');
          // Checkpoints run on their own thread (wal-checkpointer.ts), not inside a commit; this
          // connection's automatic one is only a backstop for when that thread falls behind.
          conn.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
          done(null, conn);
        },
      },
    } as Options;
  }
  const poolMax = database.poolMax ?? DEFAULT_POOL_MAX;
  return {
    ...common,
    driver,
    clientUrl: database.url,
    // knex's default minimum of 2, unless the pool may hold fewer.
    pool: { min: Math.min(2, poolMax), max: poolMax },
    driverOptions: {
      connection: {
        // node-postgres sends these when each connection starts: a runaway query is cancelled
        // by the server, and pg_stat_activity names the application.
        statement_timeout: database.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
        application_name: 'carly',
        // MikroORM keeps only host, port, user, password and database from the URL; node-postgres
        // reads the rest of it too (sslmode, sslrootcert, application_name, ...), overriding the above.
        connectionString: database.url,
      },
    },
  } as Options;
}

export const DEFAULT_POOL_MAX = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Opens the database, creating the SQLite file (mode 0600) when needed, and runs pending
 * migrations (migrate.ts: the migrator is loaded only when one is pending).
 */
export async function openDatabase(database: Config['database']): Promise<MikroORM> {
  if (database.kind === 'sqlite') preparePrivateSqliteFile(database.file);
  const orm = await MikroORM.init(await ormOptions(database));
  try {
    await migrateIfPending(orm, database.kind);
  } catch (err) {
    await orm.close(true);
    throw err;
  }
  return orm;
}

/** A request-scoped entity manager: both our drivers are SQL drivers, so query builders exist. */
export const forkEntityManager = (orm: MikroORM): EntityManager => orm.em.fork() as EntityManager;
