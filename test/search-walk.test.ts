import type { EntityManager } from '@mikro-orm/knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Customer } from '../client-sdk/src/schemas/customer.js';
import { CustomerSearchInput } from '../client-sdk/src/schemas/search.js';
import { CursorCodec } from '../server/customers/cursor.js';
import { CustomerSearch, type SearchStatement } from '../server/search/customer-search.js';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

/**
 * The walk of the created_at index (server/search/index-walk.ts) where it differs from the sort:
 * ties on created_at (the index orders them by row id, the page by public id) and a hit deleted
 * between the walk's read and the fetch of its rows. In-process, on the test's database.
 */
let server: TestServer;
let admin: Record<string, string>;
const em = () => server.app.orm.em.fork() as unknown as EntityManager;
const codec = new CursorCodec(Buffer.alloc(32, 2));

beforeAll(async () => {
  server = await startServer();
  admin = await adminHeaders(server);
  for (let i = 0; i < 12; i++) {
    const r = await rest(server.url, 'POST', '/customers', newCustomer({ firstName: `Tiebreak${i}`, company: i % 3 ? 'Walkers Ltd' : 'Other' }), admin);
    expect(r.status).toBe(200);
  }
  // Two instants shared by several customers each (the newest six at one, four more at another),
  // and public ids in another order than the row ids, which order ties in the index.
  const { database } = server.app.config;
  const at = (ms: number) => (database.kind === 'sqlite' ? ms : new Date(ms).toISOString());
  const ids = (await sqlQuery<{ id: number }>(database, "select id from customers where first_name like 'Tiebreak%' order by id")).map((r) => r.id);
  for (const [k, id] of ids.entries()) {
    const ms = k < 2 ? Date.UTC(2026, 0, 1) + k : k < 6 ? Date.UTC(2026, 0, 2) : Date.UTC(2026, 0, 3);
    const publicId = `cus_0000000000ff${((k * 5) % 12).toString(16).padStart(6, '0')}`;
    await sqlQuery(database, 'update customers set created_at = $1, public_id = $2 where id = $3', [at(ms), publicId, id]);
  }
});
afterAll(() => server.close());

/** Every page of a search at `limit`, walked with this budget; `hook` sees each statement first. */
async function pages(input: { query?: string; q?: string }, limit: number, walkRows: number, hook?: (s: SearchStatement) => Promise<void>) {
  const search = new CustomerSearch(em, codec, { walkRows, ...(hook ? { onStatement: hook } : {}) });
  const out: Customer[] = [];
  let cursor: string | undefined;
  do {
    const page = await search.search(CustomerSearchInput.parse({ ...input, limit, ...(cursor ? { cursor } : {}) }));
    expect(page.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const order = (cs: Customer[]) =>
  [...cs].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((c) => c.id);

describe('the walk of the created_at index', () => {
  it('orders customers created at the same instant by public id, across pages, as the sort does', async () => {
    const sorted = await pages({ q: 'tiebreak' }, 1, 0);
    expect(sorted).toHaveLength(12);
    expect(sorted.map((c) => c.id)).toEqual(order(sorted));
    // The index's order (created, row id) differs from the page's within an instant.
    const byRowId = await sqlQuery<{ public_id: string }>(
      server.app.config.database,
      "select public_id from customers where first_name like 'Tiebreak%' order by created_at desc, id desc",
    );
    expect(byRowId.map((r) => r.public_id)).not.toEqual(sorted.map((c) => c.id));
    for (const limit of [1, 2, 3, 5, 50]) {
      expect(
        (await pages({ q: 'tiebreak' }, limit, 4000)).map((c) => c.id),
        `limit ${limit}`,
      ).toEqual(sorted.map((c) => c.id));
      expect(
        (await pages({ query: 'company~walkers', q: 'tiebreak' }, limit, 4000)).map((c) => c.id),
        `limit ${limit}`,
      ).toEqual(order(sorted.filter((c) => c.company === 'Walkers Ltd')));
    }
  });

  it('when a hit is deleted between the walk and the fetch, the page is sorted instead and no other customer is lost', async () => {
    const before = await pages({ query: 'company~walkers' }, 50, 0);
    expect(before).toHaveLength(8);
    const ways: string[] = [];
    let deleted: string | undefined;
    const seen = await pages({ query: 'company~walkers' }, 3, 4000, async (s) => {
      ways.push(s.kind);
      if (s.kind === 'fetch' && deleted === undefined) {
        // The newest of them goes before its row is read: the first page is then one short.
        deleted = before[0]!.email;
        expect((await rest(server.url, 'DELETE', customerPath(deleted), undefined, admin)).status).toBe(200);
      }
    });
    expect(ways.slice(0, 3)).toEqual(['walk', 'fetch', 'sort']);
    expect(seen.map((c) => c.id)).toEqual(before.slice(1).map((c) => c.id));
  });
});
