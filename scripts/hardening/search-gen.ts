import fc from 'fast-check';

/**
 * Search queries for the fuzzer: well-formed ones built from the grammar (client-sdk/src/query/
 * parser.ts), and the same mutated (a character dropped, doubled or swapped, a keyword or quote
 * inserted, the text cut), so the parser's error paths and the compiled SQL both get exercised.
 */
const TEXT_FIELDS = ['id', 'email', 'firstName', 'lastName', 'name', 'phone', 'company', 'city', 'country'];
const WORDS = ['ada', 'Müller', 'mull', '555', '0199', 'GB', 'acme', "o'brien", 'lovelase', 'zoë', '%', '_x_', "' OR 1=1 --", 'ﬁrm', '😀😀😀', 'İst'];
const DATES = ['2026-01-05', '2026-01-05T10:00:00Z', '2026-01-05T10:00', '2026-02-30', '2026-01-05T10:00:00+02:00', '1970-01-01', '9999-12-31'];

const quoted = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;
const value = fc.oneof(
  fc.constantFrom(...WORDS).map((w) => (/[\s()"]/.test(w) ? quoted(w) : w)),
  fc.constantFrom(...WORDS).map(quoted),
  fc.string({ maxLength: 8 }).map(quoted),
);

const clause: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(...TEXT_FIELDS), fc.constantFrom(':', '~'), value).map(([f, op, v]) => `${f}${op}${v}`),
  fc.tuple(fc.constantFrom('key', 'crm_id', 'k"q', ''), fc.constantFrom(':', '~'), value).map(([k, op, v]) => `metadata[${quoted(k)}]${op}${v}`),
  fc.tuple(fc.constantFrom('created', 'updated'), fc.constantFrom(':', '>', '>=', '<', '<='), fc.constantFrom(...DATES)).map(([f, op, d]) => `${f}${op}${d}`),
);

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    clause,
    fc.tuple(tie('e'), fc.constantFrom(' ', ' AND ', ' OR '), tie('e')).map(([a, op, b]) => `${a}${op}${b}`),
    tie('e').map((e) => `(${e})`),
    tie('e').map((e) => `-(${e})`),
    clause.map((c) => `-${c}`),
  ),
})).e;

function mutate(query: string, at: number, how: number): string {
  const i = at % (query.length + 1);
  switch (how % 6) {
    case 0:
      return query.slice(0, i) + query.slice(i + 1);
    case 1:
      return query.slice(0, i) + query[i] + query.slice(i);
    case 2:
      return `${query.slice(0, i)} OR ${query.slice(i)}`;
    case 3:
      return `${query.slice(0, i)}"${query.slice(i)}`;
    case 4:
      return query.slice(0, i);
    default:
      return `${query.slice(0, i)}((((((${query.slice(i)}`;
  }
}

export const searchQuery: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: expr },
  { weight: 3, arbitrary: fc.tuple(expr, fc.nat(), fc.nat()).map(([q, at, how]) => mutate(q, at, how)) },
  { weight: 1, arbitrary: fc.array(clause, { minLength: 11, maxLength: 12 }).map((cs) => cs.join(' ')) },
);

export const freeText: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...WORDS, 'smyth', 'jon', 'a', 'lovelace'), { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')),
  fc.string({ maxLength: 30 }),
);
