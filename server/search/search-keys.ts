import { TYPO_MIN_LENGTH } from '../../client-sdk/src/query/free-text.js';
import { charLength, foldPhone, foldText, words } from '../../client-sdk/src/query/index.js';
import type { Address } from '../../client-sdk/src/schemas/customer.js';

/** The fields search reads: what a writer knows about the customer after its change. */
export interface SearchedFields {
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  company: string | null;
  address: Address | null;
  metadata: Record<string, string>;
}

/** The folded columns of the customers row (db/customer.entity.ts), computed here and never by the database. */
export interface SearchKeys {
  firstNameFold: string;
  lastNameFold: string;
  nameFold: string;
  phoneFold: string | null;
  companyFold: string | null;
  cityFold: string | null;
  countryFold: string | null;
  /** The distinct words of email, names and company between single spaces, with one before and after (` ada lovelace example com `), so ` lov` finds a word prefix and ` ada ` a whole word by substring. */
  searchWords: string;
  /** The metadata as JSON with folded values (keys as they are), for `metadata["k"]`: the index finds `"k":"v"` as a substring, JSON functions check it. */
  metadataFold: string;
}

/** The words `q` matches against: of email, first name, last name and company, folded, without repeats. */
export function customerWords(f: Pick<SearchedFields, 'email' | 'firstName' | 'lastName' | 'company'>): string[] {
  return [...new Set([...words(f.email), ...words(f.firstName), ...words(f.lastName), ...(f.company === null ? [] : words(f.company))])];
}

export function searchKeys(f: SearchedFields): SearchKeys {
  const firstNameFold = foldText(f.firstName);
  const lastNameFold = foldText(f.lastName);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.metadata)) metadata[k] = foldText(v);
  return {
    firstNameFold,
    lastNameFold,
    nameFold: `${firstNameFold} ${lastNameFold}`,
    phoneFold: f.phone === null ? null : foldPhone(f.phone),
    companyFold: f.company === null ? null : foldText(f.company),
    cityFold: f.address === null ? null : foldText(f.address.city),
    countryFold: f.address === null ? null : foldText(f.address.country),
    searchWords: ` ${customerWords(f).join(' ')} `,
    metadataFold: JSON.stringify(metadata),
  };
}

/** The search columns, in one order for every writer that binds them: the property, then its column. */
export const SEARCH_COLUMNS = [
  ['firstNameFold', 'first_name_fold'],
  ['lastNameFold', 'last_name_fold'],
  ['nameFold', 'name_fold'],
  ['phoneFold', 'phone_fold'],
  ['companyFold', 'company_fold'],
  ['cityFold', 'city_fold'],
  ['countryFold', 'country_fold'],
  ['searchWords', 'search_words'],
  ['metadataFold', 'metadata_fold'],
] as const satisfies readonly (readonly [keyof SearchKeys, string])[];

/** The search columns' names, in SEARCH_COLUMNS order. */
export const SEARCH_COLUMN_NAMES: readonly string[] = SEARCH_COLUMNS.map(([, column]) => column);

/** A customer's search column values, in SEARCH_COLUMNS order (to bind after the columns named by SEARCH_COLUMN_NAMES). */
export const searchColumnValues = (keys: SearchKeys): (string | null)[] => SEARCH_COLUMNS.map(([key]) => keys[key]);

/** The words of a `searchWords` column value. */
export const wordsOf = (searchWords: string) => searchWords.split(' ').filter(Boolean);

/**
 * Customer words shorter than this are never within one edit of a 5-character query word, so
 * they need no entry in the typo dictionary.
 */
export const DICTIONARY_MIN_LENGTH = TYPO_MIN_LENGTH - 1;

/** What the typo dictionary holds of some words (search/dictionary.ts): the distinct words of 4+ characters, and the characters they use. */
export interface DictionaryEntries {
  words: string[];
  chars: string[];
}

/**
 * The typo dictionary's entries for some words: each distinct word of 4+ characters (shorter
 * words are never within one edit of a 5-character query word), and the characters they use
 * (the alphabet a query word's one-edit strings are built over, customer-search.ts).
 */
export function dictionaryEntries(wordList: Iterable<string>): DictionaryEntries {
  const words = new Set<string>();
  const chars = new Set<string>();
  for (const word of wordList) {
    if (charLength(word) < DICTIONARY_MIN_LENGTH || words.has(word)) continue;
    words.add(word);
    for (const ch of word) chars.add(ch);
  }
  return { words: [...words], chars: [...chars] };
}
