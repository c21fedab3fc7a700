/**
 * List pages are read as plain rows by statements prepared once per page shape on the read lane
 * (CustomersService.list, customers/page-statement.ts), not hydrated entities. The ORM path
 * (listThroughOrm) stays as the reference: for every sort, search, page size and cursor walk
 * here, both must give the same pages and the same cursors, on each database.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_SORTS, CustomerListInput, type CustomerPage } from '../client-sdk/src/schemas/customer.js';
import { systemClock } from '../server/clock.js';
import { CursorCodec } from '../server/customers/cursor.js';
import { CustomerReads } from '../server/customers/customer-reads.js';
import { CustomersService } from '../server/customers/customers.service.js';
import { openReadLane } from '../server/db/open-read-lane.js';
import type { ReadLane } from '../server/db/read-lane.js';
import { WriteTransactions } from '../server/db/write-transaction.js';
import { systemIdentity } from '../server/identity/identity.js';
import { writeHooks } from '../server/write-hooks.js';
import { adminHeaders } from './helpers/auth.js';
import { newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let lane: ReadLane;
let service: CustomersService;

beforeAll(async () => {
  server = await startServer();
  const admin = await adminHeaders(server);
  const people = [
    {
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+44 20 7946 0958',
      company: 'Engines',
      address: { line1: '1 Way', city: 'London', country: 'gb' },
      metadata: { plan: 'pro' },
    },
    { firstName: 'Émile', lastName: 'Zola' },
    { firstName: 'adam', lastName: 'smith', metadata: { a: '1', b: '2' } },
    { firstName: 'Zoë', lastName: 'Ångström' },
    { firstName: '中文', lastName: '名字' },
    { firstName: 'Bob', lastName: 'Smith' },
    { firstName: 'Bob', lastName: 'smith' },
  ];
  for (let i = 0; i < 40; i++) {
    const person = people[i % people.length]!;
    const r = await rest(
      server.url,
      'POST',
      '/customers',
      newCustomer({ email: `lane${String(i).padStart(2, '0')}.${person.firstName.toLowerCase().replace(/[^a-z]/g, 'x')}@example.com`, ...person }),
      admin,
    );
    expect(r.status).toBe(200);
    if (i % 3 === 0) await rest(server.url, 'PATCH', `/customers/${encodeURIComponent(r.body.email)}`, { company: `Changed ${i}` }, admin);
  }
  lane = await openReadLane(server.app.config.database);
  const writes = new WriteTransactions(() => server.app.orm.em.fork() as EntityManager, systemIdentity('test'), { clock: systemClock, hooks: writeHooks() });
  service = new CustomersService(writes, new CursorCodec(randomBytes(32)), () => {}, new CustomerReads(lane));
});
afterAll(async () => {
  await lane.close();
  await server.close();
});

/** Every page of one listing, through one path. */
async function walk(through: 'list' | 'listThroughOrm', input: Record<string, unknown>): Promise<CustomerPage[]> {
  const pages: CustomerPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await service[through](CustomerListInput.parse({ ...input, ...(cursor ? { cursor } : {}) }));
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

describe(`list pages read as rows equal the ORM's (${process.env.CARLY_TEST_DIALECT})`, () => {
  for (const sort of CUSTOMER_SORTS) {
    it(`sort ${sort}: every page, every search`, async () => {
      for (const input of [
        { sort, limit: 7 },
        { sort, limit: 200 },
        { sort, limit: 5, q: 'bob' },
        { sort, limit: 3, q: 'lane1' },
        { sort, limit: 4, q: 'sm' },
        { sort, limit: 6, q: 'lane0_' },
        { sort, q: '5%' },
        { sort, q: 'nobody' },
      ]) {
        const fast = await walk('list', input);
        const reference = await walk('listThroughOrm', input);
        expect(fast, JSON.stringify(input)).toEqual(reference);
        expect(fast.flatMap((p) => p.items).length, JSON.stringify(input)).toBe(reference.flatMap((p) => p.items).length);
      }
    });
  }

  it('a search treats % and _ as themselves, not as patterns', async () => {
    const pages = await walk('list', { sort: 'email', q: 'lane0_' });
    expect(pages.flatMap((p) => p.items)).toEqual([]);
  });

  it('the walks cover something: 40 customers in pages of 7', async () => {
    const pages = await walk('list', { sort: 'email', limit: 7, q: 'lane' });
    expect(pages.map((p) => p.items.length)).toEqual([7, 7, 7, 7, 7, 5]);
  });
});
