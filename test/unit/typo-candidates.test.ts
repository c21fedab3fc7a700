import { describe, expect, it } from 'vitest';
import { osaDistance } from '../../client-sdk/src/index.js';
import { oneEdits, typoLetters, WHOLE_ALPHABET_MAX } from '../../server/search/typo-candidates.js';

/** Every string over `letters` of length 1..max (a small universe to check completeness against). */
function allStrings(letters: readonly string[], max: number): string[] {
  let level = [''];
  const out: string[] = [];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((s) => letters.map((l) => s + l));
    out.push(...level);
  }
  return out;
}

describe('typo candidates: the one-edit strings the dictionary is probed for', () => {
  it('are exactly the strings at OSA distance 1 over the letters (every string up to 6 of "abc")', () => {
    const letters = ['a', 'b', 'c'];
    const universe = allStrings(letters, 6);
    for (const word of ['abcab', 'aabb', 'cabc']) {
      const probes = new Set(oneEdits(word, letters));
      const expected = universe.filter((s) => osaDistance(word, s) === 1);
      expect([...probes].sort()).toEqual(expected.sort());
    }
  });

  it('count characters, not UTF-16 units, and leave the word out', () => {
    const probes = oneEdits('łukasz', ['l', 'ł', '𝒜']);
    expect(probes).toContain('lukasz');
    expect(probes).toContain('ukasz');
    expect(probes).toContain('ułkasz');
    expect(probes).toContain('ł𝒜ukasz');
    expect(probes).not.toContain('łukasz');
    for (const p of probes) expect(osaDistance('łukasz', p)).toBe(1);
  });

  it("use the whole alphabet up to its bound, beyond it the query word's scripts and digits", () => {
    const small = ['a', 'b', 'ß', 'д', '7'];
    expect(typoLetters('lovelace', small)).toEqual(small);
    const han = Array.from({ length: WHOLE_ALPHABET_MAX }, (_, i) => String.fromCodePoint(0x4e00 + i));
    const large = [...han, 'a', 'é', 'д', 'ж', '7', '٣'];
    expect(typoLetters('lovelace', large)).toEqual(['a', 'é', '7', '٣']);
    expect(typoLetters('дмитрий', large)).toEqual(['д', 'ж', '7', '٣']);
    expect(typoLetters('東京', large)).toEqual([...han, '7', '٣']);
  });
});
