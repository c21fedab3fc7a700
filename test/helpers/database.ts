import Database from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../../server/config.js';

/**
 * Every row of every table of the server's database, as text (one JSON line per row): for
 * "the database holds no copy of X" checks, on SQLite and PostgreSQL alike.
 */
export async function databaseText(database: Config['database']): Promise<string> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.file, { readonly: true, fileMustExist: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[];
      return tables.flatMap((t) => (db.prepare(`select * from "${t}"`).all() as object[]).map((row) => JSON.stringify(row))).join('\n');
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const tables = (await client.query<{ t: string }>("select tablename as t from pg_tables where schemaname = 'public'")).rows.map((r) => r.t);
    const lines: string[] = [];
    for (const t of tables) {
      const rows = (await client.query<{ j: string }>(`select row_to_json(x)::text as j from "${t}" x`)).rows;
      lines.push(...rows.map((r) => r.j));
    }
    return lines.join('\n');
  } finally {
    await client.end();
  }
}

/** One SQL query on the server's database (tests only: reading what the API does not show). */
export async function sqlQuery<T = Record<string, unknown>>(database: Config['database'], sql: string, params: unknown[] = []): Promise<T[]> {
  if (database.kind === 'sqlite') {
    const db = new Database(database.file, { fileMustExist: true });
    try {
      const statement = db.prepare(sql.replace(/\$\d+/g, '?'));
      return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
