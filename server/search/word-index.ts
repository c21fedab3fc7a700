import type { EntityManager } from '@mikro-orm/knex';
import { isPostgres } from '../db/dialect.js';

export type SearchDialect = 'sqlite' | 'postgresql';

export const dialectOf = (em: EntityManager): SearchDialect => (isPostgres(em) ? 'postgresql' : 'sqlite');

/** An FTS5 string literal: the text in double quotes, its own quotes doubled (bound as a parameter, never spliced). */
export const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** A LIKE pattern for "contains `text`", its own `\\ % _` taken literally (PostgreSQL's default escape is the backslash). */
export const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Whether some customer's words include `word` (whole): ` word ` is a substring of search_words,
 * found through the trigram index on either database.
 */
export async function wordStillUsed(em: EntityManager, word: string): Promise<boolean> {
  const rows =
    dialectOf(em) === 'postgresql'
      ? await em.execute('select 1 as found from customers where search_words like ? limit 1', [likeContains(` ${word} `)])
      : await em.execute('select 1 as found from customers_search where customers_search match ? limit 1', [`search_words : ${ftsPhrase(` ${word} `)}`]);
  return rows.length > 0;
}
