import { withinOneEdit } from './edit-distance.js';
import { charLength } from './fold.js';

/** A `q` word of at least this many folded characters also matches a customer word within one edit. */
export const TYPO_MIN_LENGTH = 5;

/** How a folded `q` word matches one folded customer word: by prefix (an exact word included), by one edit, or not. */
export type FreeTextMatch = 'prefix' | 'typo' | null;

/**
 * `prefix` when the customer word starts with the query word; else `typo` when the query word
 * has 5+ characters and the whole customer word is within one edit of it (optimal string
 * alignment: insert, delete, substitute, or swap two neighbours). A typo'd prefix is no match.
 */
export function matchFreeText(queryWord: string, customerWord: string): FreeTextMatch {
  if (customerWord.startsWith(queryWord)) return 'prefix';
  if (charLength(queryWord) >= TYPO_MIN_LENGTH && withinOneEdit(queryWord, customerWord)) return 'typo';
  return null;
}
