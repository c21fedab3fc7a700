import type { EntityManager } from '@mikro-orm/knex';
import { isPostgres } from '../db/dialect.js';

export type SearchDialect = 'sqlite' | 'postgresql';

export const dialectOf = (em: EntityManager): SearchDialect => (isPostgres(em) ? 'postgresql' : 'sqlite');

/** An FTS5 string literal: the text in double quotes, its own quotes doubled (bound as a parameter, never spliced). */
export const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** A LIKE pattern for "contains `text`", its own `\\ % _` taken literally (PostgreSQL's default escape is the backslash). */
export const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * PostgreSQL: the text the GIN trigram index holds, every searched column joined by spaces
 * (Migration20261207130000; SQL, so the planner inlines it into the index's expression). One text
 * holds each distinct trigram of a customer once, where a multi-column index held it per column.
 */
export const PG_SEARCH_TEXT =
  'customer_search_text(email, first_name_fold, last_name_fold, name_fold, phone_fold, company_fold, city_fold, search_words, metadata_fold)';

/**
 * PostgreSQL: `column like pattern` through the trigram index. The index finds the rows with the
 * pattern anywhere in their searched text; the column's own test keeps those that have it in
 * this column. `pattern` and `again` are one value's placeholders: `$1` twice, or two `?` bound in order.
 */
export const pgTrigramLike = (column: string, pattern: string, again = pattern) => `(${PG_SEARCH_TEXT} like ${pattern} and ${column} like ${again})`;

/**
 * Whether some customer's words include `word` (whole): ` word ` is a substring of search_words,
 * found through the trigram index on either database.
 */
export async function wordStillUsed(em: EntityManager, word: string): Promise<boolean> {
  const pattern = likeContains(` ${word} `);
  const rows =
    dialectOf(em) === 'postgresql'
      ? await em.execute(`select 1 as found from customers where ${pgTrigramLike('search_words', '?')} limit 1`, [pattern, pattern])
      : await em.execute('select 1 as found from customers_search where customers_search match ? limit 1', [`search_words : ${ftsPhrase(` ${word} `)}`]);
  return rows.length > 0;
}
