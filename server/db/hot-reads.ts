import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { Role } from '../../client-sdk/src/schemas/auth.js';
import type { ApiKeyRow } from '../api-keys/api-key-authenticator.js';
import type { Config } from '../config.js';
import { PostgresReads, POSTGRES_READ_POOL_MAX } from './postgres-reads.js';
import { SqliteReads } from './sqlite-reads.js';

export interface LiveSessionRow {
  email: string;
  role: Role;
  lastUsedAt: Date;
}

/**
 * The reads nearly every request makes — a customer by email, a live session by id, an API key
 * by the hash of its secret — off the ORM, on statements prepared once (profiled: MikroORM + knex
 * spent ~400 µs building, preparing and hydrating each of these one-row queries). One lane per
 * dialect; each is checked against the ORM's answers by test/read-lane.test.ts.
 */
export interface HotReads {
  customer(email: string): Customer | null | Promise<Customer | null>;
  session(sessionId: string, userId: string, now: Date): LiveSessionRow | null | Promise<LiveSessionRow | null>;
  apiKey(secretHash: string): ApiKeyRow | null | Promise<ApiKeyRow | null>;
  /** Statements run so far (a diagnostic: App.queryCount). */
  readonly queries: number;
  close(): void | Promise<void>;
}

export { POSTGRES_READ_POOL_MAX };

/** The read lane for the configured database. */
export function openHotReads(database: Config['database']): HotReads {
  return database.kind === 'sqlite'
    ? new SqliteReads(database.file)
    : new PostgresReads(database.url, database.statementTimeoutMs ?? 10_000);
}
