/**
 * Optimal string alignment distance (insert, delete, substitute, or swap two neighbours; no
 * substring edited twice), over code points. Search only ever asks "within one edit?", which
 * `withinOneEdit` answers in one pass; the full distance is here for tests and callers.
 */
export function osaDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  const rows: number[][] = [];
  for (let i = 0; i <= s.length; i++) {
    rows.push(Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  }
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[s.length]![t.length]!;
}

/** `osaDistance(a, b) <= 1`, without the table. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const s = [...a];
  const t = [...b];
  if (Math.abs(s.length - t.length) > 1) return false;
  let i = 0;
  while (i < s.length && i < t.length && s[i] === t[i]) i++;
  const rest = (x: string[], from: number) => x.slice(from).join('');
  if (s.length === t.length) {
    // One substitution at i, or a swap of i and i + 1.
    if (rest(s, i + 1) === rest(t, i + 1)) return true;
    return s[i] === t[i + 1] && s[i + 1] === t[i] && rest(s, i + 2) === rest(t, i + 2);
  }
  // One insertion or deletion at i.
  return s.length > t.length ? rest(s, i + 1) === rest(t, i) : rest(s, i) === rest(t, i + 1);
}

/** Every string made by deleting one character of `word` (the symmetric-delete dictionary's keys), without repeats. */
export function oneDeletions(word: string): string[] {
  const chars = [...word];
  const out = new Set<string>();
  for (let i = 0; i < chars.length; i++) out.add(chars.slice(0, i).join('') + chars.slice(i + 1).join(''));
  return [...out];
}
