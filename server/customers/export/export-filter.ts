import type { Dialect } from '../../db/dialect.js';
import { customerFilter } from '../../search/query-filter.js';

/** A boolean SQL condition over the customers table aliased `c`, with its bound parameters. */
export interface CustomerFilter {
  where: string;
  params: unknown[];
}

/**
 * The one place the export's `query` becomes SQL: the search language (`customers.search`,
 * search/query-filter.ts), so an export holds exactly the customers a search with that query
 * finds. No query: every customer. A malformed query is the search route's 400 (with its position).
 * Placeholders are SQLite's `?` or PostgreSQL's `$1…` numbered from 1 (the export's statement has
 * no parameters of its own).
 */
export function exportFilter(query: string | undefined, dialect: Dialect): CustomerFilter | null {
  return query === undefined ? null : customerFilter(query, dialect);
}
