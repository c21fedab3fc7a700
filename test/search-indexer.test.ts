/**
 * The search indexer (server/search/search-indexer.ts): new customers wait for it (SQLite: after
 * its watermark; PostgreSQL: in search_pending) and
 * are searchable at once; the indexer writes them into the search indexes later, counts what it
 * did in /metrics, and a run that fails leaves them queued and still found.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { newCustomer, postgresOnly, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

let server: TestServer;
let admin: Record<string, string>;

beforeAll(async () => {
  // The indexer only runs when the test asks (a day's delay before any wake-up of its own).
  server = await startServer({ SEARCH_INDEX_DELAY_MS: '86400000' });
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

async function metric(name: string): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(await res.text())?.[1];
  expect(value, name).toBeDefined();
  return Number(value);
}

const typoSearch = async (q: string) => {
  const r = await rest(server.url, 'GET', `/customers/search?q=${encodeURIComponent(q)}&limit=100`, undefined, admin);
  expect(r.status).toBe(200);
  return (r.body.items as { email: string }[]).map((c) => c.email).sort();
};

describe(`the search indexer (${process.env.CARLY_TEST_DIALECT})`, () => {
  it('queues new customers, finds them by a typo at once, and reports the queue and what it indexed in /metrics', async () => {
    const queuedBefore = await metric('carly_search_pending');
    expect(await metric('carly_search_indexed_total')).toBe(0);
    const emails: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await rest(server.url, 'POST', '/customers', newCustomer({ lastName: 'Quarrington' }), admin);
      expect(r.status).toBe(200);
      emails.push(r.body.email);
    }
    emails.sort();
    expect(await metric('carly_search_pending')).toBe(queuedBefore + 3);
    // Not in the dictionary yet: found through the queued rows' own words.
    expect(await typoSearch('quarington')).toEqual(emails);

    await server.app.indexSearchNow();
    expect(await metric('carly_search_pending')).toBe(0);
    expect(await metric('carly_search_indexed_total')).toBe(queuedBefore + 3);
    const [word] = await sqlQuery<{ n: number | string }>(server.app.config.database, "select count(*) as n from search_words where word = 'quarrington'");
    expect(Number(word!.n)).toBe(1);
    expect(await typoSearch('quarington')).toEqual(emails);
  });

  it('a failed run leaves the customers queued and searchable, counts the failure, and the next run indexes them', async () => {
    const database = server.app.config.database;
    const indexed = await metric('carly_search_indexed_total');
    const r = await rest(server.url, 'POST', '/customers', newCustomer({ lastName: 'Vexborough' }), admin);
    expect(r.status).toBe(200);
    // The dictionary refuses new words: the batch's transaction fails and rolls back (searches only read it).
    const postgres = database.kind === 'postgresql';
    if (postgres) {
      await sqlQuery(database, "create function refuse_word() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$");
      await sqlQuery(database, 'create trigger refuse_word before insert on search_words for each row execute function refuse_word()');
    } else await sqlQuery(database, "create trigger refuse_word before insert on search_words begin select raise(abort, 'refused'); end");
    try {
      await server.app.indexSearchNow();
      expect(await metric('carly_search_index_failures_total')).toBe(1);
      expect(await metric('carly_search_pending')).toBe(1);
      expect(await metric('carly_search_indexed_total')).toBe(indexed);
      expect(await typoSearch('vexborugh')).toEqual([r.body.email]);
    } finally {
      await sqlQuery(database, postgres ? 'drop trigger refuse_word on search_words' : 'drop trigger refuse_word');
      if (postgres) await sqlQuery(database, 'drop function refuse_word()');
    }
    await server.app.indexSearchNow();
    expect(await metric('carly_search_pending')).toBe(0);
    expect(await metric('carly_search_indexed_total')).toBe(indexed + 1);
    expect(await metric('carly_search_index_failures_total')).toBe(1);
    expect(await typoSearch('vexborugh')).toEqual([r.body.email]);
  });
});

describe.skipIf(!usingPostgres())(postgresOnly('the search indexer against a concurrent rename (PostgreSQL)'), () => {
  it('never writes words that a rename in flight has already forgotten', async () => {
    const database = server.app.config.database as { url: string };
    const r = await rest(server.url, 'POST', '/customers', newCustomer({ lastName: 'Oldernamington' }), admin);
    expect(r.status).toBe(200);
    // What an update does in its transaction (customers.service.ts): the new words, then the
    // replaced words nobody else has leave the dictionary. Held open while the indexer runs.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(
        "update customers set last_name = 'Newnamington', search_words = replace(search_words, ' oldernamington ', ' newnamington ') where email = $1",
        [r.body.email],
      );
      await client.query("delete from search_words where word = 'oldernamington'");
      const indexing = server.app.indexSearchNow();
      // Long enough for a batch to read the row and write its words, had it not waited for the rename.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await client.query('commit');
      await indexing;
    } finally {
      await client.end();
    }
    const count = async (word: string) =>
      Number((await sqlQuery<{ n: string }>(server.app.config.database, 'select count(*) as n from search_words where word = $1', [word]))[0]!.n);
    expect(await count('oldernamington')).toBe(0);
    expect(await count('newnamington')).toBe(1);
  });
});
