import pg from 'pg';
import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { Role } from '../../client-sdk/src/schemas/auth.js';
import type { ApiKeyRow } from '../api-keys/api-key-authenticator.js';
import type { HotReads, LiveSessionRow } from './hot-reads.js';
import { customerFromRow, type CustomerRow } from '../customers/customer.mapper.js';
import type { PageStatement } from '../customers/page-statement.js';

/** Connections of the read lane, beside the ORM's pool (DB_POOL_MAX). */
export const POSTGRES_READ_POOL_MAX = 4;

/**
 * The hot reads on PostgreSQL: named prepared statements (parsed and planned once per
 * connection) on a small `pg` pool of their own, instead of MikroORM + knex building, formatting
 * and hydrating each one-row query. Same answers as the ORM path (test/read-lane.test.ts).
 */
export class PostgresReads implements HotReads {
  queries = 0;
  readonly statements = {
    customer:
      'select public_id, email, first_name, last_name, phone, company, address, metadata, created_at, updated_at, version from customers where email = $1',
    session:
      'select u.email, u.role, u.customer_id is not null as has_customer, s.last_used_at from sessions s join users u on u.id = s.user_id ' +
      'where s.id = $1 and s.user_id = $2 and s.revoked_at is null and s.expires_at > $3',
    apiKey: 'select id, name, scopes, expires_at, last_used_at, revoked_at from api_keys where secret_hash = $1',
  } as const;
  private readonly pool: pg.Pool;
  /** List pages' statement names by text (a few dozen shapes at most: customers/page-statement.ts). */
  private readonly pageNames = new Map<string, string>();

  constructor(url: string, statementTimeoutMs: number) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: POSTGRES_READ_POOL_MAX,
      statement_timeout: statementTimeoutMs || undefined,
      application_name: 'carly-reads',
    });
    // An idle connection that dies (database restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  async customer(email: string): Promise<Customer | null> {
    const row = await this.one<Omit<CustomerRow, 'id' | 'last_name_key'>>(
      'carly_customer_by_email',
      this.statements.customer,
      [email],
    );
    return row ? customerFromRow(row) : null;
  }

  async session(sessionId: string, userId: string, now: Date): Promise<LiveSessionRow | null> {
    const row = await this.one<{ email: string; role: Role; has_customer: boolean; last_used_at: Date }>(
      'carly_live_session',
      this.statements.session,
      [sessionId, userId, now],
    );
    return row ? { email: row.email, role: row.role, hasCustomer: row.has_customer, lastUsedAt: row.last_used_at } : null;
  }

  async apiKey(secretHash: string): Promise<ApiKeyRow | null> {
    const row = await this.one<{ id: string; name: string; scopes: ApiKeyRow['scopes']; expires_at: Date | null; last_used_at: Date | null; revoked_at: Date | null }>(
      'carly_api_key_by_hash',
      this.statements.apiKey,
      [secretHash],
    );
    return row
      ? { id: row.id, name: row.name, scopes: row.scopes, expiresAt: row.expires_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at }
      : null;
  }

  async customerPage({ sql, params }: PageStatement): Promise<CustomerRow[]> {
    this.queries++;
    let name = this.pageNames.get(sql);
    if (name === undefined) {
      name = `carly_customer_page_${this.pageNames.size + 1}`;
      this.pageNames.set(sql, name);
    }
    return (await this.pool.query<CustomerRow>({ name, text: sql, values: params })).rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async one<T extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T | null> {
    this.queries++;
    const result = await this.pool.query<T>({ name, text, values });
    return result.rows[0] ?? null;
  }
}
