/**
 * Folding: how search compares text, computed in code (never by a database collation or an
 * extension), so both databases see the same folded strings. The order is the contract's:
 * Unicode NFKD, combining marks removed, then lower-cased.
 */

const MARKS = /\p{M}/gu;
const NOT_DIGIT = /[^0-9]/g;
const WORD = /[\p{L}\p{N}]+/gu;

/** NFKD, combining marks (`\p{M}`) removed, lower-cased (locale-independent). */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/** A phone number folded to its ASCII digits alone (after NFKD, so fullwidth digits count). */
export function foldPhone(text: string): string {
  return text.normalize('NFKD').replace(NOT_DIGIT, '');
}

/** The words of a text: the runs of Unicode letters and digits after folding (`o'brien` → `o`, `brien`). */
export function words(text: string): string[] {
  return foldText(text).match(WORD) ?? [];
}

/** Length in characters (code points), the unit every search limit counts in. */
export function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
