import { oneDeletions } from '../../client-sdk/src/query/index.js';

/**
 * Every string one edit (optimal string alignment) from `word` over `letters`: its deletions,
 * adjacent transpositions, and substitutions and insertions of each letter; the word itself left
 * out. What a query-side typo lookup would probe (typo-probe.ts, typo-probe-pg.ts).
 */
export function oneEdits(word: string, letters: readonly string[]): string[] {
  const c = [...word];
  const out = new Set<string>(oneDeletions(word));
  for (let i = 0; i + 1 < c.length; i++) out.add([...c.slice(0, i), c[i + 1], c[i], ...c.slice(i + 2)].join(''));
  for (let i = 0; i <= c.length; i++) {
    const head = c.slice(0, i).join('');
    const tail = c.slice(i).join('');
    for (const ch of letters) {
      out.add(head + ch + tail);
      if (i < c.length) out.add(head + ch + c.slice(i + 1).join(''));
    }
  }
  out.delete(word);
  return [...out];
}
