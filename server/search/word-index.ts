import type { EntityManager } from '@mikro-orm/knex';
import { isPostgres } from '../db/dialect.js';

export type SearchDialect = 'sqlite' | 'postgresql';

export const dialectOf = (em: EntityManager): SearchDialect => (isPostgres(em) ? 'postgresql' : 'sqlite');

/** An FTS5 string literal: the text in double quotes, its own quotes doubled (bound as a parameter, never spliced). */
export const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** A LIKE pattern for "contains `text`", its own `\\ % _` taken literally (PostgreSQL's default escape is the backslash). */
export const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * PostgreSQL: the GIN trigram index holds the email, names and search_words as one text, each
 * distinct trigram once: search_words is those columns' words, so a key per column and trigram
 * repeated them (Migration20261207130000). An SQL function, so the planner inlines it into the
 * index's expression. Phone, company, city and metadata keep their own keys.
 */
const PG_WORD_COLUMNS: ReadonlySet<string> = new Set(['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'search_words']);
const PG_WORD_TEXT = 'customer_word_text(email, first_name_fold, last_name_fold, name_fold, search_words)';

/**
 * PostgreSQL: `column like <pattern>` through the trigram index. For a column of the words text
 * the index finds the rows with the pattern anywhere in that text, and the column's own test keeps
 * those that have it in this column. `pattern` gives the pattern's placeholder each time it is
 * written (`$1`, or a `?` bound to the same value again: once or twice, in order).
 */
export const pgTrigramLike = (column: string, pattern: () => string) =>
  PG_WORD_COLUMNS.has(column) ? `(${PG_WORD_TEXT} like ${pattern()} and ${column} like ${pattern()})` : `${column} like ${pattern()}`;

/** PostgreSQL: `pgTrigramLike` with `?` placeholders, and its parameters (the pattern as many times as it is written). */
export function pgTrigramLikeBound(column: string, pattern: string): { sql: string; params: string[] } {
  const params: string[] = [];
  const sql = pgTrigramLike(column, () => {
    params.push(pattern);
    return '?';
  });
  return { sql, params };
}

/** PostgreSQL: what the trigram index holds for `column` (the words text, or the column itself). */
export const pgTrigramText = (column: string) => (PG_WORD_COLUMNS.has(column) ? PG_WORD_TEXT : column);

/**
 * Whether some customer's words include `word` (whole): ` word ` is a substring of search_words,
 * found through the trigram index on either database.
 */
export async function wordStillUsed(em: EntityManager, word: string): Promise<boolean> {
  const like = pgTrigramLikeBound('search_words', likeContains(` ${word} `));
  const rows =
    dialectOf(em) === 'postgresql'
      ? await em.execute(`select 1 as found from customers where ${like.sql} limit 1`, like.params)
      : await em.execute('select 1 as found from customers_search where customers_search match ? limit 1', [`search_words : ${ftsPhrase(` ${word} `)}`]);
  return rows.length > 0;
}
