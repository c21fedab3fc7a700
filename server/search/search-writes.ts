import type { EntityManager } from '@mikro-orm/knex';
import { addToDictionary, forgetWords } from './dictionary.js';
import { customerWords, type SearchedFields, type SearchKeys, searchKeys, wordsOf } from './search-keys.js';
import { wordStillUsed } from './word-index.js';

/**
 * What every writer of customers calls, in its own transaction (search is immediate): the
 * folded columns for the row it writes, and the row's words for the typo dictionary.
 * The trigram indexes (FTS5 on SQLite via triggers, GIN on PostgreSQL) follow the row by themselves.
 */
export async function indexCustomer(em: EntityManager, fields: SearchedFields): Promise<SearchKeys> {
  await addToDictionary((sql, params) => em.execute(sql, params), customerWords(fields));
  return searchKeys(fields);
}

/** After an update is flushed (same transaction): the words the customer no longer has, and nobody else has, leave the dictionary. */
export async function forgetReplacedWords(em: EntityManager, before: string, after: string): Promise<void> {
  const kept = new Set(wordsOf(after));
  const removed = wordsOf(before).filter((w) => !kept.has(w));
  if (removed.length)
    await forgetWords(
      (sql, params) => em.execute(sql, params),
      removed,
      (word) => wordStillUsed(em, word),
    );
}

/** After deleting or erasing a customer (same transaction): its words no other customer has leave the dictionary. */
export async function unindexCustomer(em: EntityManager, searchWords: string): Promise<void> {
  await forgetWords(
    (sql, params) => em.execute(sql, params),
    wordsOf(searchWords),
    (word) => wordStillUsed(em, word),
  );
}
