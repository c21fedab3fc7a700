import pg from 'pg';
import type { PreparedRead, ReadLane, ReadStatement } from './read-lane.js';

/** Connections of the read lane, beside the ORM's pool (DB_POOL_MAX). */
export const POSTGRES_READ_POOL_MAX = 4;

/**
 * The read lane on PostgreSQL: named prepared statements (parsed and planned once per
 * connection) on a small `pg` pool of their own, instead of MikroORM + knex building, formatting
 * and hydrating each one-row query.
 */
export class PostgresReadLane implements ReadLane {
  readonly dialect = 'postgresql' as const;
  queries = 0;
  private readonly pool: pg.Pool;
  /** Each name's text: PostgreSQL refuses one name prepared with two texts, so a clash fails here, at once. */
  private readonly names = new Map<string, string>();

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

  prepare<Row>({ name, sql }: ReadStatement): PreparedRead<Row> {
    const taken = this.names.get(name);
    if (taken !== undefined && taken !== sql) throw new Error(`read lane: the statement name ${name} is taken by another text`);
    this.names.set(name, sql);
    const all = async (params: readonly unknown[]): Promise<Row[]> => {
      this.queries++;
      return (await this.pool.query<Row & pg.QueryResultRow>({ name, text: sql, values: params as unknown[] })).rows;
    };
    return { sql, all, one: async (params) => (await all(params))[0] ?? null };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
