import type { EntityManager } from '@mikro-orm/knex';
import { isPostgres } from '../db/dialect.js';
import type { WriteLane } from '../db/write-lane.js';
import { addToDictionary, type Execute, FORGET_WORD_SQL, forgetWords } from './dictionary.js';
import { customerWords, dictionaryEntries, type SearchedFields, type SearchKeys, searchKeys, wordsOf } from './search-keys.js';
import { ftsPhrase, likeContains, pgTrigramLike, wordStillUsed } from './word-index.js';

/**
 * The search feature's statements on the write lane (db/write-lane.ts), for the hot customer writes:
 * the same rows as `addToDictionary`, `wordStillUsed` and `forgetWords` write and read through the ORM.
 */
const LANE = {
  // All of the words in one statement, whatever their number; answers the ones that were new.
  addWords: {
    name: 'carly_search_words_add',
    sql: {
      sqlite: 'insert into search_words (word) select value from json_each(?) where true on conflict do nothing returning word',
      // One round trip: the new words' characters go into the alphabet (dictionary.ts) in the same statement.
      postgresql:
        'with added as (insert into search_words (word) select unnest($1::text[]) on conflict do nothing returning word) ' +
        "insert into search_alphabet (ch) select distinct ch from added, regexp_split_to_table(added.word, '') as ch on conflict do nothing",
    },
  },
  addChars: { name: 'carly_search_alphabet_add', sql: 'insert into search_alphabet (ch) select value from json_each(?) where true on conflict do nothing' },
  wordUsed: {
    name: 'carly_search_word_used',
    sql: {
      sqlite: 'select 1 as found from customers_search where customers_search match ? limit 1',
      postgresql: `select 1 as found from customers where ${pgTrigramLike('search_words', () => '$1')} limit 1`,
    },
  },
  forget: { name: 'carly_search_word_forget', sql: FORGET_WORD_SQL },
};

/** Adds words to the typo dictionary on the write lane: the rows `addToDictionary` adds. */
export async function addWordsOnLane(lane: WriteLane, em: EntityManager, wordList: Iterable<string>): Promise<void> {
  const { words } = dictionaryEntries(wordList);
  if (!words.length) return;
  if (isPostgres(em)) {
    await lane.run(em, LANE.addWords, [words]);
    return;
  }
  // Most writes add no new word (names repeat): then the alphabet needs no statement at all.
  const added = await lane.all<{ word: string }>(em, LANE.addWords, [JSON.stringify(words)]);
  if (added.length) await lane.run(em, LANE.addChars, [JSON.stringify(dictionaryEntries(added.map((a) => a.word)).chars)]);
}

const laneWordStillUsed = (lane: WriteLane, em: EntityManager) => async (word: string) =>
  (await lane.one(em, LANE.wordUsed, [isPostgres(em) ? likeContains(` ${word} `) : `search_words : ${ftsPhrase(` ${word} `)}`])) !== null;

const laneExecute =
  (lane: WriteLane, em: EntityManager): Execute =>
  (sql, params) => {
    if (sql !== LANE.forget.sql) throw new Error(`search: no write-lane statement for ${sql}`);
    return lane.run(em, LANE.forget, params);
  };

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

/**
 * The folded columns of a customer a writer creates. Nothing else: the new row waits (SQLite:
 * after the search watermark; PostgreSQL: in search_pending, a trigger puts it there) until the
 * search indexer (search-indexer.ts) writes its words into the typo dictionary and, on SQLite,
 * its text into FTS5, a batch of creates per transaction. Searches test pending rows directly,
 * so the customer is found at once.
 */
export const newCustomerSearchKeys = (fields: SearchedFields): SearchKeys => (SEARCH_WRITES_OFF ? NO_KEYS : searchKeys(fields));

/**
 * What every writer of an existing customer calls, in its own transaction (search is immediate):
 * the folded columns for the row it writes, and the row's words for the typo dictionary.
 * The trigram indexes (FTS5 on SQLite via triggers, GIN on PostgreSQL) follow the row by themselves.
 */
export async function indexCustomer(em: EntityManager, fields: SearchedFields, lane: WriteLane | null = null): Promise<SearchKeys> {
  if (SEARCH_WRITES_OFF) return NO_KEYS;
  if (lane) await addWordsOnLane(lane, em, customerWords(fields));
  else await addToDictionary((sql, params) => em.execute(sql, params), customerWords(fields));
  return searchKeys(fields);
}

/** After an update is flushed (same transaction): the words the customer no longer has, and nobody else has, leave the dictionary. */
export async function forgetReplacedWords(em: EntityManager, before: string, after: string, lane: WriteLane | null = null): Promise<void> {
  const kept = new Set(wordsOf(after));
  const removed = wordsOf(before).filter((w) => !kept.has(w));
  if (!removed.length) return;
  if (lane) await forgetWords(laneExecute(lane, em), removed, laneWordStillUsed(lane, em));
  else
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
