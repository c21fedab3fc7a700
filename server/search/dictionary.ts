import { charLength } from '../../client-sdk/src/query/index.js';
import { DICTIONARY_MIN_LENGTH, dictionaryEntries } from './search-keys.js';

/** Runs one statement with `?` parameters (MikroORM's em.execute, a migration's execute, …). */
export type Execute = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * The typo dictionary is two tables (docs/architecture.md, "Search"):
 * - search_words: each distinct folded customer word of 4+ characters, once;
 * - search_alphabet: each character those words use. A query word's one-edit strings are built
 *   over it (a character no stored word has cannot make a stored word). Characters are never
 *   removed: one names nobody.
 */
export const ADD_WORD_SQL = 'insert into search_words (word) values (?) on conflict do nothing';
export const ADD_CHAR_SQL = 'insert into search_alphabet (ch) values (?) on conflict do nothing';

/** Rows per insert statement: far under both databases' parameter limits. */
const ROWS_PER_STATEMENT = 500;

/**
 * Adds words to the typo dictionary, and their characters to its alphabet, in the caller's
 * transaction; what is there already is left alone. Words are never removed by an update (a
 * stale word costs one lookup and matches nobody: candidates are checked against the customers'
 * words); see `forgetWords`.
 */
export async function addToDictionary(execute: Execute, wordList: Iterable<string>): Promise<void> {
  const { words, chars } = dictionaryEntries(wordList);
  for (const [table, column, values] of [
    ['search_words', 'word', words],
    ['search_alphabet', 'ch', chars],
  ] as const) {
    for (let from = 0; from < values.length; from += ROWS_PER_STATEMENT) {
      const chunk = values.slice(from, from + ROWS_PER_STATEMENT);
      await execute(`insert into ${table} (${column}) values ${chunk.map(() => '(?)').join(', ')} on conflict do nothing`, chunk);
    }
  }
}

/** The one statement `forgetWords` runs per word (the write lane prepares the same text, search-writes.ts). */
export const FORGET_WORD_SQL = 'delete from search_words where word = ?';

/**
 * After a customer is deleted or erased: removes from the dictionary each of its words that no
 * remaining customer has, so nothing of an erased person stays in a search structure. `stillUsed`
 * answers whether some customer still has the word (search/customer-search.ts asks the word index).
 */
export async function forgetWords(execute: Execute, words: Iterable<string>, stillUsed: (word: string) => Promise<boolean>): Promise<void> {
  for (const word of words) {
    if (charLength(word) < DICTIONARY_MIN_LENGTH) continue;
    if (!(await stillUsed(word))) await execute(FORGET_WORD_SQL, [word]);
  }
}
