import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixUpperBound } from '../../server/customers/customers.service.js';

/** Code-point order, as SQLite's BINARY collation and PostgreSQL's "C" compare UTF-8. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('prefixUpperBound', () => {
  it('increments the last code point', () => {
    expect(prefixUpperBound('ann')).toBe('ano');
    expect(prefixUpperBound('a')).toBe('b');
    expect(prefixUpperBound('zoë')).toBe('zoì');
  });

  it('steps over the surrogate range and past the BMP', () => {
    expect(prefixUpperBound('a\ud7ff')).toBe('a\ue000');
    expect(prefixUpperBound('a\uffff')).toBe('a\u{10000}');
    expect(prefixUpperBound('a\u{1f600}')).toBe('a\u{1f601}');
  });

  it('drops trailing maximal code points; none is left for an empty or all-maximal prefix', () => {
    expect(prefixUpperBound('ab\u{10ffff}')).toBe('ac');
    expect(prefixUpperBound('\u{10ffff}\u{10ffff}')).toBeUndefined();
    expect(prefixUpperBound('')).toBeUndefined();
  });

  it('bounds every string with the prefix from above, and nothing between prefix and bound lacks it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 }), (prefix, rest) => {
        const upper = prefixUpperBound(prefix);
        if (upper === undefined) return;
        expect(byCodePoint(prefix + rest, upper)).toBe(-1);
        expect(byCodePoint(prefix, upper)).toBe(-1);
        // The bound itself does not start with the prefix.
        expect(upper.startsWith(prefix)).toBe(false);
      }),
    );
  });
});
