import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { Role } from '../../client-sdk/src/schemas/auth.js';
import type { ApiKeyRow } from '../api-keys/api-key-authenticator.js';
import type { Config } from '../config.js';
import type { CustomerRow } from '../customers/customer.mapper.js';
import type { PageStatement } from '../customers/page-statement.js';
import { PostgresReads, POSTGRES_READ_POOL_MAX } from './postgres-reads.js';
import { SqliteReads } from './sqlite-reads.js';

export interface LiveSessionRow {
  email: string;
  role: Role;
  /** Whether the account is linked to a customer record (a claim not yet verified is not). */
  hasCustomer: boolean;
  lastUsedAt: Date;
}

/**
 * The reads nearly every request makes — a customer by email, a live session by id, an API key
 * by the hash of its secret, a page of customers — off the ORM, on statements prepared once (profiled: MikroORM + knex
 * spent ~400 µs building, preparing and hydrating each of these one-row queries). One lane per
 * dialect; each is checked against the ORM's answers by test/read-lane.test.ts.
 */
export interface HotReads {
  customer(email: string): Customer | null | Promise<Customer | null>;
  session(sessionId: string, userId: string, now: Date): LiveSessionRow | null | Promise<LiveSessionRow | null>;
  apiKey(secretHash: string): ApiKeyRow | null | Promise<ApiKeyRow | null>;
  /** A page of customer rows: one of list's statements (customers/page-statement.ts), prepared once per distinct text. */
  customerPage(statement: PageStatement): CustomerRow[] | Promise<CustomerRow[]>;
  /** Statements run so far (a diagnostic: App.queryCount). */
  readonly queries: number;
  /** Each method's SQL (tracing names and describes its spans with them). */
  readonly statements: Readonly<Record<'customer' | 'session' | 'apiKey', string>>;
  close(): void | Promise<void>;
}

export { POSTGRES_READ_POOL_MAX };

/** The read lane for the configured database. */
export function openHotReads(database: Config['database']): HotReads {
  return database.kind === 'sqlite'
    ? new SqliteReads(database.file)
    : new PostgresReads(database.url, database.statementTimeoutMs ?? 10_000);
}
