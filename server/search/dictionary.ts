import { charLength } from '../../client-sdk/src/query/index.js';
import { DICTIONARY_MIN_LENGTH, dictionaryRows } from './search-keys.js';

/** Runs one statement with `?` parameters (MikroORM's em.execute, a migration's execute, …). */
export type Execute = (sql: string, params: unknown[]) => Promise<unknown>;

/** Rows per insert statement: 2 parameters each, far under both databases' limits. */
const ROWS_PER_STATEMENT = 500;

/**
 * Adds words to the typo dictionary (search_words), in the caller's transaction; a word already
 * there is left alone. Words are never removed by an update (a stale word costs one lookup and
 * matches nobody: candidates are checked against the customers' words); see `forgetWords`.
 */
export async function addToDictionary(execute: Execute, words: Iterable<string>): Promise<void> {
  const rows = dictionaryRows(words);
  for (let from = 0; from < rows.length; from += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(from, from + ROWS_PER_STATEMENT);
    await execute(`insert into search_words (variant, word) values ${chunk.map(() => '(?, ?)').join(', ')} on conflict do nothing`, chunk.flat());
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
