import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/knex';
import { isPostgres } from './dialect.js';

/** The PostgreSQL advisory lock every Carly instance holds around its start-up work ('carly' in ASCII). */
export const STARTUP_LOCK_KEY = 0x6361726c79;

/**
 * Runs `fn` while holding the start-up lock, so instances starting at once on one database
 * migrate, seed and create the first admin one after another, never side by side. On
 * PostgreSQL: a session-level advisory lock on a dedicated connection (outside the pool, so a
 * small pool cannot deadlock; if the process dies the session ends and the lock goes with it).
 * SQLite serves one process, so `fn` just runs. Not reentrant: never nest two calls.
 */
export async function withStartupLock<T>(orm: MikroORM, fn: () => Promise<T>): Promise<T> {
  if (!isPostgres(orm.em)) return fn();
  const client = (orm.em.getConnection() as AbstractSqlConnection).getKnex().client;
  const conn = (await client.acquireRawConnection()) as { query(sql: string, params?: unknown[]): Promise<unknown> };
  try {
    // Another instance may be migrating a large table: wait for it rather than time out.
    await conn.query('set statement_timeout = 0');
    await conn.query('select pg_advisory_lock($1)', [STARTUP_LOCK_KEY]);
    try {
      return await fn();
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [STARTUP_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.destroyRawConnection(conn).catch(() => {});
  }
}
