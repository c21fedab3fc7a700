import type { Options, Platform } from '@mikro-orm/core';
import type { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';

export type Dialect = Config['database']['kind'];

/** Set once the PostgreSQL driver is loaded: no PostgreSQL platform can exist before. */
let postgresPlatform: typeof PostgreSqlPlatform | undefined;

/**
 * The MikroORM driver of `dialect`, loaded on demand: a server on SQLite never loads
 * @mikro-orm/postgresql and `pg` (~5 MB of heap at idle, docs/performance.md "Idle memory"), one on
 * PostgreSQL never loads better-sqlite3's driver.
 */
export async function loadDriver(dialect: Dialect): Promise<NonNullable<Options['driver']>> {
  if (dialect === 'sqlite') return (await import('@mikro-orm/better-sqlite')).BetterSqliteDriver;
  const postgresql = await import('@mikro-orm/postgresql');
  postgresPlatform = postgresql.PostgreSqlPlatform;
  return postgresql.PostgreSqlDriver;
}

/**
 * Whether `em` (an entity manager, or anything with a platform) is on PostgreSQL. Every ORM is made
 * from ormOptions (orm.ts), which loads its driver through loadDriver, so before that load no
 * PostgreSQL platform exists and the answer is false without loading the module.
 */
export const isPostgres = (em: { getPlatform(): Platform }): boolean => postgresPlatform !== undefined && em.getPlatform() instanceof postgresPlatform;
