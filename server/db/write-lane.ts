import type { EntityManager } from '@mikro-orm/knex';
import type { Statement } from 'better-sqlite3';
import { inBackground } from './background-work.js';
import { isPostgres } from './dialect.js';

/**
 * A statement a feature runs on the write lane: one text, `?` placeholders (numbered `$1`, `$2`
 * on PostgreSQL by the lane), or one text per dialect when they differ.
 */
export interface WriteStatement {
  /** PostgreSQL: the named statement's name (unique per text, parsed once per connection); SQLite: the cache key. */
  name: string;
  sql: string | { sqlite: string; postgresql: string };
}

/** How many rows a statement changed. */
export interface WriteResult {
  changes: number;
}

/** A better-sqlite3 Database, as knex's better-sqlite3 client holds it. */
interface SqliteConnection {
  prepare(sql: string): Statement<unknown[]>;
}
/** A node-postgres Client, as knex's pg client holds it. */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** A JSON column's bound value: the text the ORM would store, or null for a null value. */
export const jsonParam = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/**
 * The write lane: the hot writes' statements run on the write transaction's own connection,
 * prepared once with bound parameters, beside MikroORM (which keeps entities, migrations and
 * the less frequent writes).
 *
 * Why: profiled, a customer create spent over half its CPU in MikroORM and knex (query building,
 * the unit of work) and in better-sqlite3's `prepare`, called by knex for every statement: MikroORM
 * 6's `execute` inlines parameter values into the SQL text, so no statement was ever reused.
 * Here SQLite statements are prepared once per connection and cached by name; PostgreSQL runs them
 * as named statements (node-postgres parses each name once per connection).
 *
 * A mechanism only, like the read lane (read-lane.ts): each feature owns its statements and row
 * mapping (customers/customer-writes.ts, events/event-rows.ts, audit/audit-rows.ts,
 * idempotency/idempotency-store.ts), and test/write-lane.test.ts checks that they leave the same
 * rows, events and audit chain as the ORM path on both dialects.
 *
 * Inside a transaction (`em.transactional`) statements run on its connection, so they commit or
 * roll back with the ORM's; outside one, on a connection borrowed from the pool for one statement.
 * Errors are converted as MikroORM converts its own (UniqueConstraintViolationException, …).
 */
export class WriteLane {
  /** Statements run so far outside the server's background work (a diagnostic: App.queryCount, as the ORM's are counted). */
  queries = 0;
  private readonly sqliteStatements = new WeakMap<object, Map<string, Statement<unknown[]>>>();

  /** Runs a statement that returns no rows. */
  async run(em: EntityManager, statement: WriteStatement, params: readonly unknown[]): Promise<WriteResult> {
    return this.exec(
      em,
      statement,
      params,
      (s, p) => ({ changes: s.run(...p).changes }),
      (r) => ({ changes: r.rowCount ?? 0 }),
    );
  }

  /** Runs a statement that returns rows (a SELECT, or a write with RETURNING). */
  async all<Row>(em: EntityManager, statement: WriteStatement, params: readonly unknown[]): Promise<Row[]> {
    return this.exec(
      em,
      statement,
      params,
      (s, p) => s.all(...p) as Row[],
      (r) => r.rows as Row[],
    );
  }

  /** The first row of `all`, or null. */
  async one<Row>(em: EntityManager, statement: WriteStatement, params: readonly unknown[]): Promise<Row | null> {
    const rows = await this.all<Row>(em, statement, params);
    return rows[0] ?? null;
  }

  private async exec<T>(
    em: EntityManager,
    statement: WriteStatement,
    params: readonly unknown[],
    sqlite: (s: Statement<unknown[]>, params: unknown[]) => T,
    pg: (result: { rows: unknown[]; rowCount: number | null }) => T,
  ): Promise<T> {
    const postgres = isPostgres(em);
    const trx = em.getTransactionContext<{ client: { acquireConnection(): Promise<unknown> } }>();
    const client = trx ? null : em.getConnection().getKnex().client;
    const connection = trx ? await trx.client.acquireConnection() : await client!.acquireConnection();
    if (!inBackground()) this.queries++;
    try {
      if (postgres) {
        const text = typeof statement.sql === 'string' ? numbered(statement.sql) : statement.sql.postgresql;
        return pg(await (connection as PgConnection).query({ name: statement.name, text, values: params as unknown[] }));
      }
      return sqlite(this.prepared(connection as SqliteConnection, statement), params.map(stored));
    } catch (err) {
      throw err instanceof Error ? em.getDriver().convertException(err) : err;
    } finally {
      if (client) await client.releaseConnection(connection);
    }
  }

  private prepared(connection: SqliteConnection, statement: WriteStatement): Statement<unknown[]> {
    let statements = this.sqliteStatements.get(connection);
    if (!statements) this.sqliteStatements.set(connection, (statements = new Map()));
    const sql = typeof statement.sql === 'string' ? statement.sql : statement.sql.sqlite;
    let prepared = statements.get(statement.name);
    if (!prepared) {
      prepared = connection.prepare(sql);
      statements.set(statement.name, prepared);
    } else if (prepared.source !== sql) {
      throw new Error(`write lane: two statements are named ${statement.name}`);
    }
    return prepared;
  }
}

const numberedTexts = new Map<string, string>();
/** `?` placeholders as PostgreSQL's `$1`, `$2`, … (the lane's statements hold no `?` in literals). */
const numbered = (sql: string) => {
  let text = numberedTexts.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numberedTexts.set(sql, text);
  }
  return text;
};

/** SQLite stores dates as epoch milliseconds (MikroORM's mapping) and booleans as 0/1. */
const stored = (value: unknown): unknown => (value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : value);
