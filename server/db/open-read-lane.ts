import type { Config } from '../config.js';
import { PostgresReadLane } from './postgres-read-lane.js';
import type { ReadLane } from './read-lane.js';
import { SqliteReadLane } from './sqlite-read-lane.js';

/** The read lane for the configured database (its own file: the lanes import read-lane.ts's types). */
export function openReadLane(database: Config['database']): ReadLane {
  return database.kind === 'sqlite' ? new SqliteReadLane(database.file) : new PostgresReadLane(database.url, database.statementTimeoutMs ?? 10_000);
}
