import { describe, expect, it } from 'vitest';
import {
  charLength,
  foldPhone,
  foldText,
  matchFreeText,
  oneDeletions,
  osaDistance,
  parseQuery,
  QuerySyntaxError,
  queryError,
  withinOneEdit,
  words,
} from '../../client-sdk/src/index.js';

const errorOf = (query: string) => queryError(query)?.message;

describe('folding', () => {
  it('decomposes, drops combining marks, lower-cases', () => {
    expect(foldText('Müller')).toBe('muller');
    expect(foldText('ÅNGSTRÖM')).toBe('angstrom');
    expect(foldText('ﬁle')).toBe('file'); // NFKD splits the ligature
    expect(foldText('İstanbul')).toBe('istanbul');
  });
  it('folds a phone to its digits', () => {
    expect(foldPhone('+1 (555) 0199')).toBe('15550199');
    expect(foldPhone('５５５')).toBe('555');
  });
  it('splits words on anything but letters and digits, after folding', () => {
    expect(words("O'Brien")).toEqual(['o', 'brien']);
    expect(words('ada@example.com')).toEqual(['ada', 'example', 'com']);
    expect(words('José-María 2nd')).toEqual(['jose', 'maria', '2nd']);
    expect(words('  ')).toEqual([]);
  });
  it('counts characters, not UTF-16 units', () => {
    expect(charLength('a😀b')).toBe(3);
  });
});

describe('edit distance (optimal string alignment)', () => {
  it.each([
    ['smith', 'smyth', 1],
    ['lovelace', 'lovelase', 1],
    ['abcd', 'abdc', 1],
    ['john', 'jon', 1],
    ['ca', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%s → %s = %i', (a, b, d) => {
    expect(osaDistance(a, b)).toBe(d);
    expect(withinOneEdit(a, b)).toBe(d <= 1);
    expect(withinOneEdit(b, a)).toBe(d <= 1);
  });
  it('withinOneEdit agrees with the distance on every short string over a small alphabet', () => {
    const all: string[] = [''];
    for (let n = 1; n <= 4; n++) for (const w of all.filter((x) => x.length === n - 1)) for (const c of 'ab') all.push(w + c);
    for (const a of all) for (const b of all) expect(withinOneEdit(a, b), `${a}/${b}`).toBe(osaDistance(a, b) <= 1);
  });
  it('lists the one-deletion variants without repeats', () => {
    expect(oneDeletions('abc').sort()).toEqual(['ab', 'ac', 'bc']);
    expect(oneDeletions('aab').sort()).toEqual(['aa', 'ab']);
  });
  it('matches q words by prefix, and by one edit only from 5 characters', () => {
    expect(matchFreeText('jon', 'jonathan')).toBe('prefix');
    expect(matchFreeText('jon', 'john')).toBe(null);
    expect(matchFreeText('smyth', 'smith')).toBe('typo');
    expect(matchFreeText('lovel', 'lovelace')).toBe('prefix');
    expect(matchFreeText('lovelase', 'lovelace')).toBe('typo');
    expect(matchFreeText('lovex', 'lovelace')).toBe(null); // a typo'd prefix is no match
  });
});

describe('query parser', () => {
  it('builds a typed tree: AND binds tighter than OR, a space is AND', () => {
    expect(parseQuery('name:ada country:GB OR -company~acme')).toEqual({
      kind: 'or',
      items: [
        {
          kind: 'and',
          items: [
            { kind: 'text', field: 'name', op: ':', value: 'ada', folded: 'ada', position: 1 },
            { kind: 'text', field: 'country', op: ':', value: 'GB', folded: 'gb', position: 10 },
          ],
        },
        { kind: 'not', item: { kind: 'text', field: 'company', op: '~', value: 'acme', folded: 'acme', position: 25 } },
      ],
    });
  });
  it('reads quoted values with escapes, metadata keys, phones and dates', () => {
    expect(parseQuery('name:"Ada \\"the\\" L\\\\"')).toMatchObject({ value: 'Ada "the" L\\', folded: 'ada "the" l\\' });
    expect(parseQuery('metadata["crm_id"]:"A-17"')).toMatchObject({ kind: 'metadata', key: 'crm_id', op: ':', folded: 'a-17' });
    expect(parseQuery('phone~"555 0199"')).toMatchObject({ kind: 'text', field: 'phone', folded: '5550199' });
    const day = Date.UTC(2026, 0, 5);
    expect(parseQuery('created:2026-01-05')).toMatchObject({ kind: 'date', from: day, to: day + 86_400_000 });
    expect(parseQuery('created>2026-01-05')).toMatchObject({ from: day + 86_400_000, to: null });
    expect(parseQuery('created>=2026-01-05')).toMatchObject({ from: day, to: null });
    expect(parseQuery('updated<2026-01-05')).toMatchObject({ from: null, to: day });
    expect(parseQuery('updated<=2026-01-05')).toMatchObject({ from: null, to: day + 86_400_000 });
    expect(parseQuery('created>2026-01-05T10:00:00Z')).toMatchObject({ from: Date.UTC(2026, 0, 5, 10) + 1, to: null });
    expect(parseQuery('created:2026-01-05T10:00')).toMatchObject({ from: Date.UTC(2026, 0, 5, 10), to: Date.UTC(2026, 0, 5, 10) + 1 });
    expect(parseQuery('created:2026-01-05T10:00:00+02:00')).toMatchObject({ from: Date.UTC(2026, 0, 5, 8) });
  });
  it('nests groups and negated groups up to depth 5', () => {
    expect(parseQuery('-(name:a OR name:b)')).toMatchObject({ kind: 'not', item: { kind: 'or' } });
    expect(parseQuery('(((((name:a)))))')).toMatchObject({ kind: 'text' });
    expect(errorOf('((((((name:a))))))')).toBe('position 6: parentheses nest at most 5 deep');
  });
  it.each([
    ['email:x name~', 'position 14: expected a value after "~"'],
    ['name : ada', 'position 5: expected ":" or "~" right after "name"'],
    [
      'nick:ada',
      'position 1: unknown field "nick"; expected one of id, email, firstName, lastName, name, phone, company, city, country, metadata["key"], created, updated',
    ],
    ['name>ada', 'position 5: "name" takes ":" or "~"'],
    ['created~2026', 'position 8: "created" takes ":", ">", ">=", "<" or "<="'],
    ['created:2026-02-30', 'position 9: expected an ISO 8601 date (2026-01-05) or date-time (2026-01-05T10:00:00Z)'],
    ['name~ab', 'position 6: "~" needs a value of at least 3 characters after folding'],
    ['phone~"5-5"', 'position 7: "~" needs a value of at least 3 digits after folding'],
    ['name:"ada', 'position 6: unterminated string: expected a closing "'],
    ['name:"a\\n"', 'position 8: expected \\" or \\\\ (the only escapes)'],
    ['name:"a"b', 'position 9: expected a space, ")" or the end of the query after the value'],
    ['(name:a', 'position 8: expected ")"'],
    ['name:a)', 'position 7: expected a clause, AND, OR or the end of the query, not ")"'],
    ['name:a OR', 'position 10: expected a clause or "("'],
    ['AND name:a', 'position 1: expected a clause or "(", not "AND"'],
    ['- name:a', 'position 2: expected a clause or "(" right after "-"'],
    ['', 'position 1: expected a clause or "("'],
    ['metadata[crm]:1', 'position 10: expected a quoted key after "metadata["'],
    [
      'name:a and name:b',
      'position 8: unknown field "and"; expected one of id, email, firstName, lastName, name, phone, company, city, country, metadata["key"], created, updated',
    ],
  ])('%j → %s', (query, message) => {
    expect(errorOf(query)).toBe(message);
  });
  it('limits length (1,000 characters) and clauses (10)', () => {
    expect(errorOf(`name:${'a'.repeat(995)}`)).toBeUndefined();
    expect(errorOf(`name:${'a'.repeat(996)}`)).toBe('position 1001: a query has at most 1000 characters');
    const ten = Array.from({ length: 10 }, (_, k) => `name:a${k}`).join(' ');
    expect(errorOf(ten)).toBeUndefined();
    expect(errorOf(`${ten} name:b`)).toBe(`position ${ten.length + 2}: a query has at most 10 clauses`);
  });
  it('throws QuerySyntaxError with the position and what was expected', () => {
    const err = queryError('name~');
    expect(err).toBeInstanceOf(QuerySyntaxError);
    expect(err).toMatchObject({ position: 6, expected: 'expected a value after "~"' });
  });
});
