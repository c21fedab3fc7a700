import type { QueryNode } from '../../client-sdk/src/query/index.js';
import { parseQuery, QuerySyntaxError } from '../../client-sdk/src/query/index.js';
import { invalidInput } from '../errors.js';
import { QuerySql } from './query-sql.js';
import type { SearchDialect } from './word-index.js';

/** A query's syntax tree, or the search route's 400: `issues: [{ path: "query", message: "position N: expected …" }]`. */
export function parseOrReject(query: string): QueryNode {
  try {
    return parseQuery(query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) throw invalidInput([{ path: 'query', message: err.message }]);
    throw err;
  }
}

/**
 * The customers a search `query` matches, as a SQL boolean expression over the customers table
 * aliased `c` (`c.id in (…)`), for other features to filter by the same language (bulk export).
 *
 * Placeholders: SQLite `?` (positional, in `params` order); PostgreSQL `$1`, `$2`, … numbered from
 * 1 in `params` order. A caller with parameters of its own renumbers (PostgreSQL: put yours after,
 * from `$${params.length + 1}`; SQLite: order the arrays as the `?` appear). No text of the query
 * is in `where`: every value is a parameter. A malformed query throws the search route's 400.
 */
export function customerFilter(query: string, dialect: 'sqlite' | 'postgresql'): { where: string; params: unknown[] } {
  const sql = new QuerySql(dialect);
  const ids = sql.ids(parseOrReject(query));
  return { where: `c.id in (${dialect === 'postgresql' ? numbered(ids) : ids})`, params: sql.params };
}

/** `?` → `$1`, `$2`, …: the compiled SQL has no `?` other than its placeholders (no literals hold one). */
export const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export type { SearchDialect };
