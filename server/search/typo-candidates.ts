import { oneDeletions } from '../../client-sdk/src/query/index.js';

/**
 * Every string one edit (optimal string alignment) from `word` over `letters`: its deletions,
 * adjacent transpositions, and substitutions and insertions of each letter; the word itself left
 * out. The typo lookup probes the dictionary for these (customer-search.ts): a stored word within
 * one edit of `word` is one of them, as long as `letters` holds its characters.
 */
export function oneEdits(word: string, letters: readonly string[]): string[] {
  const c = [...word];
  const out = new Set<string>(oneDeletions(word));
  for (let i = 0; i + 1 < c.length; i++) out.add([...c.slice(0, i), c[i + 1], c[i], ...c.slice(i + 2)].join(''));
  for (let i = 0; i <= c.length; i++) {
    const head = c.slice(0, i).join('');
    // What follows an insertion at i, and a substitution of the character at i.
    const rest = c.slice(i).join('');
    const after = c.slice(i + 1).join('');
    for (const ch of letters) {
      out.add(head + ch + rest);
      if (i < c.length) out.add(head + ch + after);
    }
  }
  out.delete(word);
  return [...out];
}

/** Up to this many characters in the alphabet, every one is tried in substitutions and insertions. */
export const WHOLE_ALPHABET_MAX = 256;

/** The scripts a character's own script is looked up among (beyond them: Common, digits, the rest). */
const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Bengali',
  'Tamil',
  'Thai',
  'Hangul',
  'Hiragana',
  'Katakana',
  'Han',
  'Ethiopic',
].map((name) => ({ name, pattern: new RegExp(`^\\p{Script=${name}}$`, 'u') }));
const DIGIT = /^\p{Nd}$/u;

const scriptOf = (ch: string): string => SCRIPTS.find((s) => s.pattern.test(ch))?.name ?? 'other';

/**
 * The letters a query word's substitutions and insertions use: the whole alphabet of stored
 * words while it is small (WHOLE_ALPHABET_MAX); beyond that (a database with CJK text holds
 * thousands of characters) the characters of the query word's own scripts and digits, so a typo
 * that puts in a character of another script is not found (docs/api.md, "Search").
 */
export function typoLetters(word: string, alphabet: readonly string[]): readonly string[] {
  if (alphabet.length <= WHOLE_ALPHABET_MAX) return alphabet;
  const scripts = new Set([...word].map(scriptOf));
  return alphabet.filter((ch) => DIGIT.test(ch) || scripts.has(scriptOf(ch)));
}
