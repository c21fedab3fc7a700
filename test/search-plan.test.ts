import type { EntityManager } from '@mikro-orm/knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerSearchInput } from '../client-sdk/src/schemas/search.js';
import { CursorCodec } from '../server/customers/cursor.js';
import { CustomerSearch, type SearchStatement } from '../server/search/customer-search.js';
import { customerFilter } from '../server/search/query-filter.js';
import { adminHeaders } from './helpers/auth.js';
import { newCustomer, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

/**
 * Each query shape the search is measured on must be answered through indexes, never by a scan
 * of the customers table. The plans are read from the database itself:
 * - SQLite: EXPLAIN QUERY PLAN; a `SCAN c` / `SCAN customers` step (with or without an index: a
 *   walk of every row) fails. Steps on the FTS5 table (`SCAN customers_search VIRTUAL TABLE
 *   INDEX …`, its MATCH lookup) and on the query's own subquery results are fine.
 * - PostgreSQL: EXPLAIN (FORMAT JSON) with enable_seqscan off in the transaction: the planner then
 *   takes a Seq Scan only when no index can answer, so any `Seq Scan` on customers fails. (On a
 *   table this small the planner would rightly prefer a scan; turning it off asks "can it use
 *   an index?", which is the question.)
 * A negation alone (`-country:GB`) is every customer but some, and is not among these shapes.
 *
 * A page comes from a walk of the created_at index (each row tested) or from sorting the match set
 * (server/search/customer-search.ts): every statement of both ways is explained, for first and
 * next pages, the walk's own reads included. A walk's read is a bounded walk of
 * customers_created_at_id_index newest first (LIMIT), so that step is the one allowed there.
 */
let server: TestServer;
const em = () => server.app.orm.em.fork() as unknown as EntityManager;

beforeAll(async () => {
  server = await startServer();
  const admin = await adminHeaders(server);
  for (let i = 0; i < 20; i++) {
    const r = await rest(
      server.url,
      'POST',
      '/customers',
      newCustomer({ firstName: `Ada${i}`, lastName: 'Lovelace', phone: '+1 555 0199', company: 'Engines Ltd', metadata: { crm_id: `A-${i}` } }),
      admin,
    );
    expect(r.status).toBe(200);
  }
});
afterAll(() => server.close());

const SHAPES: { name: string; query?: string; q?: string }[] = [
  { name: 'q, one word', q: 'lovelace' },
  { name: 'q, two words', q: 'ada love' },
  { name: 'q, one word with a typo', q: 'lovelase' },
  { name: 'q, two words with a typo', q: 'ada lovelase' },
  { name: 'name~ substring', query: 'name~mull' },
  { name: 'phone~ digits', query: 'phone~5550199' },
  { name: 'metadata equals', query: 'metadata["crm_id"]:"a-17"' },
  { name: 'metadata contains', query: 'metadata["crm_id"]~a-1' },
  { name: 'date range', query: 'created>=2026-01-05 created<2026-02-01' },
  { name: 'equals: email, id, country, name', query: 'email:ada@example.com OR id:cus_x OR country:GB OR name:"ada lovelace"' },
  { name: 'a 4-clause boolean query', query: '(name~ada country:GB -company~acme) OR city:london' },
  { name: 'query and q', query: 'company~engines', q: 'lovelase' },
];

async function sqlitePlan(sql: string, params: unknown[]): Promise<string[]> {
  const rows = await em().execute<{ detail: string }[]>(`explain query plan ${sql}`, params);
  return rows.map((r) => r.detail);
}

async function postgresPlan(sql: string, params: unknown[]): Promise<string[]> {
  return em().transactional(async (tx) => {
    await tx.execute('set local enable_seqscan = off');
    const [row] = await tx.execute<{ 'QUERY PLAN': unknown }[]>(`explain (format json) ${sql}`, params);
    const steps: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      steps.push(
        `${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`,
      );
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    const plan = row!['QUERY PLAN'];
    walk(((typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: Record<string, unknown> }[])[0]!.Plan);
    return steps;
  });
}

const scansCustomers = (steps: string[]) =>
  usingPostgres()
    ? steps.filter((s) => s.startsWith('Seq Scan on customers'))
    : // An AUTOMATIC index is one SQLite builds for the statement from a scan of every row.
      steps.filter((s) => /^SCAN (c|customers)\b/.test(s) || /^SEARCH (c|customers) USING AUTOMATIC\b/.test(s));

/** The statements two pages of a shape run, at a walk budget (0: sorted; 12: walked, its reads resumed; default: walked). */
async function statementsOf(input: { query?: string; q?: string }, walkRows: number | undefined): Promise<SearchStatement[]> {
  const seen: SearchStatement[] = [];
  const search = new CustomerSearch(em, new CursorCodec(Buffer.alloc(32, 1)), {
    ...(walkRows === undefined ? {} : { walkRows }),
    onStatement: (s) => {
      seen.push(s);
    },
  });
  const first = await search.search(CustomerSearchInput.parse({ ...input, limit: 3 }));
  if (first.nextCursor) await search.search(CustomerSearchInput.parse({ ...input, limit: 3, cursor: first.nextCursor }));
  return seen;
}

/**
 * A walk's read may reach customers only through customers_created_at_id_index (bounded by its
 * LIMIT): SQLite walks it (SCAN/SEARCH c USING INDEX); PostgreSQL walks it backward, or on a
 * table this small may take it as a bitmap (its heap scan then reads what the index found).
 */
const WALK_STEP = usingPostgres()
  ? /^(Index Scan( Backward)? on customers using customers_created_at_id_index|Bitmap Index Scan using customers_created_at_id_index|Bitmap Heap Scan on customers)$/
  : /^(SCAN|SEARCH) c USING INDEX customers_created_at_id_index\b/;
const touchesCustomers = (step: string) => (usingPostgres() ? / on customers$|using customers_/.test(step) : /^(SCAN|SEARCH) (c|customers)\b/.test(step));

describe('search answers each shape through indexes, never a scan of customers', () => {
  const kinds = new Set<string>();
  describe.each([
    { way: 'sorted', walkRows: 0 },
    { way: 'walked, reads resumed', walkRows: 12 },
    { way: 'walked', walkRows: undefined },
  ])('$way', ({ walkRows }) => {
    it.each(SHAPES)('$name', async ({ query, q }) => {
      const statements = await statementsOf({ query, q }, walkRows);
      expect(statements.length).toBeGreaterThan(0);
      for (const { kind, text, params } of statements) {
        kinds.add(
          `${kind}${kind === 'walk' ? (text.includes('(c.created_at, c.id) <') ? ' resumed' : text.includes('c.created_at <=') ? ' from a cursor' : ' from the top') : ''}`,
        );
        const steps = usingPostgres() ? await postgresPlan(text, params) : await sqlitePlan(text, params);
        expect(steps.length).toBeGreaterThan(0);
        if (process.env.SHOW_PLANS) console.log(`${kind}: ${text}\n  ${steps.join('\n  ')}`);
        if (kind === 'walk') {
          expect(
            steps.filter((step) => touchesCustomers(step) && !WALK_STEP.test(step)),
            steps.join('\n'),
          ).toEqual([]);
          expect(
            steps.some((step) => step.includes('customers_created_at_id_index')),
            steps.join('\n'),
          ).toBe(true);
        } else {
          expect(scansCustomers(steps), `${kind}: ${text}\n${steps.join('\n')}`).toEqual([]);
        }
      }
    });
  });

  it('explained every kind of statement (the walk from the top, from a cursor and resumed)', () => {
    expect([...kinds].sort()).toEqual(['fetch', 'sort', 'typos', 'walk from a cursor', 'walk from the top', 'walk resumed']);
  });

  it('the same for customerFilter (bulk export filters with it)', async () => {
    const { where, params } = customerFilter('(name~ada country:GB -company~acme) OR metadata["crm_id"]:"a-17"', usingPostgres() ? 'postgresql' : 'sqlite');
    // customerFilter numbers PostgreSQL's placeholders ($1, …); em.execute takes `?`.
    const sql = `select c.id from customers c where ${usingPostgres() ? where.replace(/\$\d+/g, '?') : where}`;
    const steps = usingPostgres() ? await postgresPlan(sql, params) : await sqlitePlan(sql, params);
    expect(scansCustomers(steps), steps.join('\n')).toEqual([]);
  });

  it('the check itself fails on a scan', async () => {
    const steps = usingPostgres()
      ? await postgresPlan('select id from customers where length(email) = 1', [])
      : await sqlitePlan('select id from customers where length(email) = 1', []);
    expect(scansCustomers(steps)).toHaveLength(1);
  });
});
