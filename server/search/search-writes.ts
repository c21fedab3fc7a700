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
  if (SEARCH_WRITES_OFF) return NO_KEYS;
  await addToDictionary((sql, params) => em.execute(sql, params), customerWords(fields));
  return searchKeys(fields);
}

/**
 * Bench only (scripts/bench/search-server.ts, the search section's baseline): with search writes
 * off, a create skips the folding and the dictionary, so the bench can price a create without the
 * search structures (it also drops the FTS5 triggers / trigram indexes from its own copy of the
 * database). Such a server's new customers are not searchable; server/main.ts never turns it off.
 */
let SEARCH_WRITES_OFF = false;
export const disableSearchWritesForBench = () => {
  SEARCH_WRITES_OFF = true;
};
const NO_KEYS: SearchKeys = {
  firstNameFold: '',
  lastNameFold: '',
  nameFold: '',
  phoneFold: null,
  companyFold: null,
  cityFold: null,
  countryFold: null,
  searchWords: '',
  metadataFold: '{}',
};

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
