/**
 * The write lane (server/db/write-lane.ts) runs the hot writes — customer create and update, their
 * events, audit entries and typo-dictionary rows, an Idempotency-Key's stored answer — on
 * statements prepared once instead of through MikroORM. It must leave exactly what the ORM path
 * leaves: the same sequence of requests is sent to a server on the lane and to one built with
 * `writeLane: false`, on each database, and the answers, customers rows (search columns included),
 * dictionary, events, audit entries (chained and verified) and idempotency records are compared,
 * with what differs by nature (row and public ids, times, request ids, salts) mapped or left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain, waitForChain } from './helpers/audit.js';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { customerPath, rest, startServer, type TestServer } from './helpers/server.js';

const run = `${process.pid}.${Date.now()}`;
const email = (name: string) => `${name}.${run}@example.com`;

/** The requests, in order: creates (full, bare, duplicate, keyed and its replay), updates (words replaced, nothing changed, stale, names + metadata, address cleared), a missing customer. */
const SEQUENCE: { method: 'POST' | 'PATCH'; path: string; body: Record<string, unknown>; key?: string }[] = [
  {
    method: 'POST',
    path: '/customers',
    body: {
      email: email('ada'),
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+44 20 7946 0000',
      company: 'Analytical Engines',
      address: { line1: '12 St James Sq', city: 'London', country: 'gb' },
      metadata: { tier: 'Gold', team: 'Öresund' },
    },
  },
  { method: 'POST', path: '/customers', body: { email: email('bare'), firstName: 'Bare', lastName: 'Minimum' } },
  { method: 'POST', path: '/customers', body: { email: email('ada'), firstName: 'Again', lastName: 'Duplicate' } },
  { method: 'PATCH', path: customerPath(email('ada')), body: { company: 'Difference Engines Ltd' } },
  { method: 'PATCH', path: customerPath(email('ada')), body: { company: 'Difference Engines Ltd', phone: '+44 20 7946 0000' } },
  { method: 'PATCH', path: customerPath(email('bare')), body: { version: 7, firstName: 'Stale' } },
  { method: 'PATCH', path: customerPath(email('bare')), body: { version: 1, firstName: 'Barbara', lastName: 'Maximum', metadata: { k: 'v' } } },
  { method: 'PATCH', path: customerPath(email('nobody')), body: { company: 'None' } },
  { method: 'POST', path: '/customers', body: { email: email('keyed'), firstName: 'Keyed', lastName: 'Create', company: 'Once Only' }, key: `k-${run}` },
  { method: 'POST', path: '/customers', body: { email: email('keyed'), firstName: 'Keyed', lastName: 'Create', company: 'Once Only' }, key: `k-${run}` },
  { method: 'PATCH', path: customerPath(email('ada')), body: { address: null, metadata: {} } },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * `value` with what differs between two servers by nature made comparable: public ids and the
 * admin's user id become their order of appearance, ISO times become "<time>".
 */
function normalise(value: unknown, ids: Map<string, string>, adminId: string): Json {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return '<time>';
  if (Array.isArray(value)) return value.map((v) => normalise(v, ids, adminId));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, ids, adminId)]));
  if (typeof value === 'string') {
    if (value === adminId) return '<admin>';
    if (/^cus_[0-9a-f]{24}$/.test(value)) {
      if (!ids.has(value)) ids.set(value, `<customer ${ids.size + 1}>`);
      return ids.get(value)!;
    }
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return '<time>';
    return value;
  }
  return value as Json;
}

/** A JSON column as either database gives it. */
const parsed = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** Everything the sequence left, normalised. */
async function snapshot(server: TestServer, adminId: string, ids: Map<string, string>) {
  const db = server.app.config.database;
  const q = <T = Record<string, unknown>>(sql: string) => sqlQuery<T>(db, sql);
  const customers = await q(
    'select public_id, email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, version, ' +
      'first_name_fold, last_name_fold, name_fold, phone_fold, company_fold, city_fold, country_fold, search_words, metadata_fold, ' +
      'created_at = updated_at as never_updated ' +
      `from customers where email like '%.${run}@example.com' order by email`,
  );
  const words = await q<{ word: string }>('select word from search_words order by word');
  const alphabet = await q<{ ch: string }>('select ch from search_alphabet order by ch');
  const events = await q(
    'select type, customer_id, customer_email, customer_version, changed, actor_type, actor_id, data, request_id is not null as has_request ' +
      `from events where customer_email like '%.${run}@example.com' order by id`,
  );
  const audit = await q(
    'select action, actor_type, actor_id, actor_email, target_type, target_id, outcome, changes, details, ip, user_agent, pseudonym, ' +
      'pii_salt is not null and pii_digest is not null as salted, chain_seq is not null and hash is not null as chained ' +
      "from audit_entries where action like 'customer.%' order by chain_seq",
  );
  const keys = await q('select "key", operation, fingerprint, state, response_status, response_body from idempotency_records order by id');
  return normalise(
    {
      customers: customers.map((c) => ({ ...c, address: parsed(c.address), metadata: parsed(c.metadata), never_updated: Boolean(c.never_updated) })),
      // The dictionary of words the sequence introduced (the admin's own words come from start-up).
      words,
      alphabet,
      events: events.map((e) => ({ ...e, changed: parsed(e.changed), data: parsed(e.data), has_request: Boolean(e.has_request) })),
      audit: audit.map((a) => ({ ...a, changes: parsed(a.changes), details: parsed(a.details), salted: Boolean(a.salted), chained: Boolean(a.chained) })),
      keys: keys.map((k) => ({ ...k, response_body: parsed(k.response_body) })),
    },
    ids,
    adminId,
  );
}

describe(`the write lane leaves what the ORM path leaves (${process.env.CARLY_TEST_DIALECT})`, () => {
  const servers: { lane?: TestServer; orm?: TestServer } = {};

  beforeAll(async () => {
    servers.lane = await startServer();
    servers.orm = await startServer({}, { writeLane: false });
  });
  afterAll(async () => {
    await servers.lane?.close();
    await servers.orm?.close();
  });

  it('the same requests give the same answers, rows, events, audit chain and idempotency records', async () => {
    const results: Record<'lane' | 'orm', Json> = { lane: null, orm: null };
    for (const which of ['lane', 'orm'] as const) {
      const server = servers[which]!;
      const admin = await adminHeaders(server);
      const [adminRow] = await sqlQuery<{ id: string }>(server.app.config.database, "select id from users where role = 'admin' order by created_at limit 1");
      const adminId = adminRow!.id;
      const ids = new Map<string, string>();
      const answers: Json[] = [];
      for (const step of SEQUENCE) {
        const res = await rest(server.url, step.method, step.path, step.body, step.key ? { ...admin, 'idempotency-key': step.key } : admin);
        answers.push(normalise({ status: res.status, body: res.body }, ids, adminId));
      }
      await waitForChain(server);
      const verified = await verifyChain(server);
      expect(verified.ok, JSON.stringify(verified)).toBe(true);
      // New customers' dictionary words are written by the search indexer (server/search/search-indexer.ts) a moment later on either path.
      await server.app.indexSearchNow();
      results[which] = { answers, stored: await snapshot(server, adminId, ids) };
    }
    expect(results.lane).toEqual(results.orm);
    // The sequence did what it says (so the comparison is not of two empty worlds).
    const stored = (results.lane as { stored: { customers: unknown[]; events: unknown[]; audit: unknown[]; keys: unknown[] } }).stored;
    expect(stored.customers).toHaveLength(3);
    expect(stored.events).toHaveLength(6);
    expect(stored.audit).toHaveLength(6);
    expect(stored.keys).toHaveLength(1);
    const statuses = (results.lane as { answers: { status: number }[] }).answers.map((a) => a.status);
    expect(statuses).toEqual([200, 200, 409, 200, 200, 409, 200, 404, 200, 200, 200]);
  });
});
