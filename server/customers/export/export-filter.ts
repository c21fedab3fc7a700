import { DomainError } from '../../errors.js';
import type { Dialect } from '../../db/orm.js';

/** A boolean SQL condition over the customers table aliased `c`, with its bound parameters. */
export interface CustomerFilter {
  where: string;
  params: unknown[];
}

/**
 * The one place the export's `query` becomes SQL. The search language (`customers.search`) is
 * built on another branch; its `customerFilter(query, dialect)` plugs in here. Until it does, a
 * request with a query is refused with a clear 400 rather than exporting every customer.
 */
export function exportFilter(query: string | undefined, _dialect: Dialect): CustomerFilter | null {
  if (query === undefined) return null;
  throw new DomainError('BAD_REQUEST', 'The query parameter is not supported by this server yet: export without it (all customers)');
}
