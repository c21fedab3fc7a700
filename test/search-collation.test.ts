import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { prefixUpperBound } from '../server/customers/customers.service.js';
import { adminHeaders } from './helpers/auth.js';
import { postgresOnly, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

/**
 * Search and sort give the same answers on SQLite and PostgreSQL: this file runs in both
 * projects and checks both against one expectation computed here, in code-point order (which
 * is UTF-8 byte order, SQLite's BINARY collation and PostgreSQL's "C"). On PostgreSQL the
 * database gets an ICU en-US default collation, under which `é` sorts before `z` and `_` before
 * `a`: results must not depend on it.
 */

const PEOPLE: { email: string; firstName: string; lastName: string }[] = [
  { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
  { email: 'adam.smith@example.com', firstName: 'adam', lastName: 'Smith' },
  { email: 'zed@example.com', firstName: 'ADAMS', lastName: 'smith' },
  { email: 'emile@example.com', firstName: 'Émile', lastName: 'Zola' },
  { email: 'emilie@example.com', firstName: 'émilie', lastName: 'Ångström' },
  { email: 'zoe@example.com', firstName: 'Zoë', lastName: 'Zed' },
  { email: 'omega@example.com', firstName: 'Ωmega', lastName: 'Ωmega' },
  { email: 'dmitri@example.com', firstName: 'Дмитрий', lastName: 'Иванов' },
  { email: 'li@example.com', firstName: '小龙', lastName: '李' },
  { email: 'alice@example.com', firstName: '𝒜lice', lastName: 'Astral' },
  { email: 'smiley@example.com', firstName: '😀', lastName: 'Smiley' },
  { email: 'emoji@example.com', firstName: 'Ab😀', lastName: 'Emoji' },
  { email: 'nonchar@example.com', firstName: 'Ab\uffff', lastName: 'Nonchar' },
  { email: 'cotton@example.com', firstName: '100%', lastName: 'Cotton' },
  { email: 'hundred@example.com', firstName: '100x', lastName: 'Hundred' },
  { email: 'under@example.com', firstName: '_Under', lastName: 'Score' },
  { email: 'xunder@example.com', firstName: 'xUnder', lastName: 'Score' },
  { email: 'a_b@example.com', firstName: 'Underscore', lastName: 'Email' },
  { email: 'axb@example.com', firstName: 'Plain', lastName: 'Email' },
  { email: 'back@example.com', firstName: 'Back\\slash', lastName: 'Slash' },
  { email: 'backx@example.com', firstName: 'Backxslash', lastName: 'Slash' },
  { email: "o'brien@example.com", firstName: 'Conan', lastName: "O'Brien" },
  { email: 'istanbul@example.com', firstName: 'İstanbul', lastName: 'Straße' },
  { email: 'zz@example.com', firstName: 'zz', lastName: 'de la Cruz' },
  { email: 'upper@example.com', firstName: 'Zz', lastName: 'De Souza' },
];

const QUERIES = [
  'a',
  'ad',
  'ADA',
  'adam',
  'e',
  'é',
  'émi',
  'Émile',
  'z',
  'zo',
  'ω',
  'Ω',
  'д',
  '李',
  '𝒜',
  '😀',
  'ab',
  'ab😀',
  '100%',
  '100',
  '%',
  '_',
  'a_',
  'a_b',
  '_u',
  'back\\',
  '\\',
  "o'b",
  "'",
  'smith',
  's',
  'i',
  'stra',
  'de ',
  'nomatch',
];

const SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'email', '-email', 'lastName', '-lastName'] as const;

/** Code-point order: compare the UTF-8 bytes (JS's own < compares UTF-16 units, which differs). */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The emails the API should return for `q` under `sort`, computed here. */
function expected(q: string | null, sort: (typeof SORTS)[number]): string[] {
  const rows = PEOPLE.map((p, insertedAt) => ({ ...p, insertedAt, firstKey: p.firstName.toLowerCase(), lastKey: p.lastName.toLowerCase() }));
  const needle = q?.trim().toLowerCase();
  const matches = needle ? rows.filter((r) => [r.email, r.firstKey, r.lastKey].some((k) => k.startsWith(needle))) : rows;
  const field = sort.replace(/^-/, '');
  // Creation order for the dates (ties break on the id, i.e. creation order again).
  const cmp =
    field === 'email'
      ? (a: (typeof rows)[number], b: (typeof rows)[number]) => byCodePoint(a.email, b.email)
      : field === 'lastName'
        ? (a: (typeof rows)[number], b: (typeof rows)[number]) => byCodePoint(a.lastKey, b.lastKey) || a.insertedAt - b.insertedAt
        : (a: (typeof rows)[number], b: (typeof rows)[number]) => a.insertedAt - b.insertedAt;
  const ordered = [...matches].sort(cmp).map((r) => r.email);
  return sort.startsWith('-') ? ordered.reverse() : ordered;
}

let server: TestServer;
let auth: Record<string, string>;
let dropDatabase: (() => Promise<void>) | undefined;

/** Every page of a list, following nextCursor; the emails in the order served. */
async function walk(q: string | null, sort: string, limit: number): Promise<string[]> {
  const emails: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const params = new URLSearchParams({ limit: String(limit), sort });
    if (q !== null) params.set('q', q);
    if (cursor) params.set('cursor', cursor);
    const r = await rest(server.url, 'GET', `/customers?${params}`, undefined, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    emails.push(...r.body.items.map((c: { email: string }) => c.email));
    cursor = r.body.nextCursor;
    if (!cursor) return emails;
  }
  throw new Error('more than 100 pages');
}

beforeAll(async () => {
  const env: Record<string, string> = {};
  if (usingPostgres()) {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!, { icuLocale: 'en-US' });
    env.DATABASE_URL = scratch.url;
    dropDatabase = scratch.drop;
  }
  server = await startServer(env);
  auth = await adminHeaders(server);
  // One at a time, so creation order (and so the ids) follow PEOPLE.
  for (const p of PEOPLE) {
    const r = await rest(server.url, 'POST', '/customers', p, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
});

afterAll(async () => {
  await server?.close();
  await dropDatabase?.();
});

describe(`search and sort give the same answers on every database (${process.env.CARLY_TEST_DIALECT})`, () => {
  it.skipIf(!usingPostgres())(postgresOnly('the test database really sorts differently from code-point order (PostgreSQL: ICU en-US)'), async () => {
    const rows = (await server.app.orm.em.getConnection().execute(`select x from (values ('z'), ('é'), ('_a'), ('a')) v(x) order by x`)) as { x: string }[];
    expect(rows.map((r) => r.x)).not.toEqual(['_a', 'a', 'z', 'é'].sort(byCodePoint));
    const columns = (await server.app.orm.em
      .getConnection()
      .execute(
        `select column_name, collation_name from information_schema.columns where table_name = 'customers' and column_name in ('email', 'first_name_key', 'last_name_key') order by column_name`,
      )) as { column_name: string; collation_name: string }[];
    expect(columns).toEqual([
      { column_name: 'email', collation_name: 'C' },
      { column_name: 'first_name_key', collation_name: 'C' },
      { column_name: 'last_name_key', collation_name: 'C' },
    ]);
  });

  it('orders every sort by code point, page after page', async () => {
    for (const sort of SORTS) {
      const want = expected(null, sort);
      expect(want).toHaveLength(PEOPLE.length);
      expect(await walk(null, sort, 200), sort).toEqual(want);
      expect(await walk(null, sort, 4), `${sort} in pages of 4`).toEqual(want);
    }
  });

  it('finds the same prefixes, with LIKE metacharacters taken literally, in the same order', async () => {
    for (const q of QUERIES) {
      for (const sort of SORTS) {
        expect(await walk(q, sort, 3), `q=${q} sort=${sort}`).toEqual(expected(q, sort));
      }
    }
    // The literal cases, spelt out.
    expect(expected('100%', 'email')).toEqual(['cotton@example.com']);
    expect(expected('a_', 'email')).toEqual(['a_b@example.com']);
    expect(expected('_', 'email')).toEqual(['under@example.com']);
    expect(expected('%', 'email')).toEqual([]);
    expect(expected('back\\', 'email')).toEqual(['back@example.com']);
    expect(expected('ab', 'email')).toEqual(['emoji@example.com', 'nonchar@example.com']);
  });
});

describe('prefixUpperBound', () => {
  it('is the least string above every extension of the prefix, in code-point order', () => {
    expect(prefixUpperBound('ab')).toBe('ac');
    expect(prefixUpperBound('a\uffff')).toBe('a\u{10000}');
    expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
    expect(prefixUpperBound('\u{10ffff}')).toBeUndefined();
    expect(prefixUpperBound('a\ud7ff')).toBe('a\ue000');
    for (const s of ['ab', 'ab\uffff', 'ab😀', 'ab\u{10ffff}z', 'ab~']) {
      expect(byCodePoint(s, prefixUpperBound('ab')!), s).toBeLessThan(0);
    }
    expect(byCodePoint('ac', prefixUpperBound('ab')!)).toBe(0);
  });
});
