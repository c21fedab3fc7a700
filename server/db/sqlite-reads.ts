import Database from 'better-sqlite3';
import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { Role } from '../../client-sdk/src/schemas/auth.js';
import type { ApiKeyRow } from '../api-keys/api-key-authenticator.js';
import type { HotReads, LiveSessionRow } from './hot-reads.js';
import { customerFromRow, type CustomerRow as Row } from '../customers/customer.mapper.js';
import type { PageStatement } from '../customers/page-statement.js';

type CustomerRow = Omit<Row, 'id' | 'last_name_key'>;


/** The lane's statements, by the method that runs each (tracing names its spans after them). */
export const READ_STATEMENTS = {
  customer:
    'select public_id, email, first_name, last_name, phone, company, address, metadata, created_at, updated_at, version from customers where email = ?',
  session:
    'select u.email, u.role, u.customer_id is not null as has_customer, s.last_used_at from sessions s join users u on u.id = s.user_id ' +
    'where s.id = ? and s.user_id = ? and s.revoked_at is null and s.expires_at > ?',
  apiKey: 'select id, name, scopes, expires_at, last_used_at, revoked_at from api_keys where secret_hash = ?',
} as const;

/**
 * The reads every request makes — a customer by email, a live session by id, an API key by the
 * hash of its secret, a page of customers — on their own read-only SQLite connection with
 * statements prepared once.
 *
 * Why: profiled, MikroORM + knex spent ~400 µs building, preparing and hydrating these one-row
 * queries, over 40% of a request. WAL mode lets this connection read the last committed state
 * while the ORM's connection writes, so a read sees every write acknowledged before it.
 * Writes and anything transactional stay on MikroORM.
 */
export class SqliteReads implements HotReads {
  /** Statements run so far (a diagnostic: App.queryCount). */
  queries = 0;
  readonly statements = READ_STATEMENTS;
  private readonly db: Database.Database;
  private readonly customerByEmail: Database.Statement<[string], CustomerRow>;
  private readonly liveSession: Database.Statement<[string, string, number], { email: string; role: Role; has_customer: 0 | 1; last_used_at: number }>;
  private readonly apiKeyByHash: Database.Statement<
    [string],
    { id: string; name: string; scopes: string; expires_at: number | null; last_used_at: number | null; revoked_at: number | null }
  >;
  /** List pages' statements by text: a few dozen shapes at most (customers/page-statement.ts). */
  private readonly pages = new Map<string, Database.Statement<[Record<number, unknown>], Row>>();

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    this.customerByEmail = this.db.prepare(READ_STATEMENTS.customer);
    this.liveSession = this.db.prepare(READ_STATEMENTS.session);
    this.apiKeyByHash = this.db.prepare(READ_STATEMENTS.apiKey);
  }

  customer(email: string): Customer | null {
    this.queries++;
    const row = this.customerByEmail.get(email);
    return row ? customerFromRow(row) : null;
  }

  session(sessionId: string, userId: string, now: Date): LiveSessionRow | null {
    this.queries++;
    const row = this.liveSession.get(sessionId, userId, now.getTime());
    return row ? { email: row.email, role: row.role, hasCustomer: row.has_customer === 1, lastUsedAt: new Date(row.last_used_at) } : null;
  }

  apiKey(secretHash: string): ApiKeyRow | null {
    this.queries++;
    const row = this.apiKeyByHash.get(secretHash);
    if (!row) return null;
    const date = (ms: number | null) => (ms === null ? null : new Date(ms));
    return {
      id: row.id,
      name: row.name,
      scopes: JSON.parse(row.scopes),
      expiresAt: date(row.expires_at),
      lastUsedAt: date(row.last_used_at),
      revokedAt: date(row.revoked_at),
    };
  }

  customerPage({ sql, params }: PageStatement): Row[] {
    this.queries++;
    let statement = this.pages.get(sql);
    if (!statement) {
      statement = this.db.prepare<[Record<number, unknown>], Row>(sql);
      this.pages.set(sql, statement);
    }
    // better-sqlite3 binds numbered placeholders (?1, ?2) by name: { 1: …, 2: … }.
    const named: Record<number, unknown> = {};
    for (let i = 0; i < params.length; i++) named[i + 1] = params[i];
    return statement.all(named);
  }

  close(): void {
    this.db.close();
  }
}
