import type { Config } from '../config.js';
import type { ReadLane } from './read-lane.js';

/**
 * The read lane for the configured database (its own file: the lanes import read-lane.ts's types).
 * Only that dialect's lane is loaded, so a server on SQLite never loads `pg` and one on PostgreSQL
 * never opens better-sqlite3 for reads (docs/performance.md, "Idle memory").
 */
export async function openReadLane(database: Config['database']): Promise<ReadLane> {
  if (database.kind === 'sqlite') return new (await import('./sqlite-read-lane.js')).SqliteReadLane(database.file);
  return new (await import('./postgres-read-lane.js')).PostgresReadLane(database.url, database.statementTimeoutMs ?? 10_000);
}
