import { createTRPCClient, httpBatchLink, httpLink, type TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppRouter } from '../server/trpc/root.js';
import { adminHeaders, bearer, signupCustomer } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { sqlQuery } from './helpers/database.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: Record<string, string>;
const clock = new TestClock();
let n = 0;
const newKey = () => `key-${process.pid}-${Date.now()}-${++n}`;

beforeAll(async () => {
  server = await startServer({}, { clock });
});
// The clock moves a day forward below: sign in afresh for each test (keys belong to the account,
// not the session, so every test still acts as the same caller).
beforeEach(async () => {
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

/** A raw REST call: the exact bytes of the answer matter here. */
async function raw(method: string, path: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const customersNamed = async (email: string) => sqlQuery(server.app.config.database, 'select id from customers where email = $1', [email]);

describe('Idempotency-Key over REST', () => {
  it('20 concurrent creates with one key: exactly one customer; every answer the same body or 409', async () => {
    const body = newCustomer();
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 20 }, () => raw('POST', '/customers', body, { ...admin, 'idempotency-key': key })));
    expect(await customersNamed(body.email)).toHaveLength(1);
    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 409);
    expect(ok.length + busy.length).toBe(20);
    expect(new Set(ok.map((a) => a.text)).size).toBe(1);
    // The one that ran answered without the replay header; every other 200 was a replay.
    expect(ok.filter((a) => a.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    for (const b of busy) {
      expect(JSON.parse(b.text).code).toBe('CONFLICT');
      expect(b.headers.get('retry-after')).toBe('1');
    }
    // Once it finished, every retry gets the stored answer.
    const after = await raw('POST', '/customers', body, { ...admin, 'idempotency-key': key });
    expect(after.status).toBe(200);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(JSON.parse(after.text).email).toBe(body.email);
  });

  it('a sequential retry gets the identical bytes, and nothing runs again', async () => {
    const body = newCustomer();
    const key = newKey();
    const first = await raw('POST', '/customers', body, { ...admin, 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const events = await sqlQuery(server.app.config.database, 'select count(*) as n from events');
    const second = await raw('POST', '/customers', body, { ...admin, 'idempotency-key': `"${key}"` });
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);
    expect(await sqlQuery(server.app.config.database, 'select count(*) as n from events')).toEqual(events);
  });

  it('the same key with another input or on another operation: 422, and nothing runs', async () => {
    const body = newCustomer();
    const key = newKey();
    expect((await raw('POST', '/customers', body, { ...admin, 'idempotency-key': key })).status).toBe(200);
    const changed = { ...body, email: `other.${body.email}` };
    const r = await rest(server.url, 'POST', '/customers', changed, { ...admin, 'idempotency-key': key });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('UNPROCESSABLE_CONTENT');
    expect(await customersNamed(changed.email)).toHaveLength(0);
    const other = await rest(server.url, 'PATCH', customerPath(body.email), { company: 'X' }, { ...admin, 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.message).toMatch(/customers\.create/);
    expect((await rest(server.url, 'GET', customerPath(body.email), undefined, admin)).body.company).toBeNull();
  });

  it('answers given before the operation ran are not stored: a corrected retry with the same key runs', async () => {
    const key = newKey();
    const bad = await rest(server.url, 'POST', '/customers', { ...newCustomer(), firstName: '' }, { ...admin, 'idempotency-key': key });
    expect(bad.status).toBe(400);
    const body = newCustomer();
    const good = await rest(server.url, 'POST', '/customers', body, { ...admin, 'idempotency-key': key });
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
    expect(await customersNamed(body.email)).toHaveLength(1);
    // A 403 (a customer on another's record) is not stored either.
    const alice = await signupCustomer(server);
    const key2 = newKey();
    const refused = await rest(
      server.url,
      'PATCH',
      customerPath(body.email),
      { company: 'Mine' },
      { ...bearer(alice.tokens.accessToken), 'idempotency-key': key2 },
    );
    expect(refused.status).toBe(403);
    const own = await rest(
      server.url,
      'PATCH',
      customerPath(alice.email),
      { company: 'Mine' },
      { ...bearer(alice.tokens.accessToken), 'idempotency-key': key2 },
    );
    expect(own.status).toBe(200);
    expect(own.body.company).toBe('Mine');
  });

  it('errors the operation gave are stored and replayed (404, 409 stale version)', async () => {
    const key = newKey();
    const missing = customerPath(`ghost.${newKey()}@example.com`);
    const first = await rest(server.url, 'PATCH', missing, { company: 'X' }, { ...admin, 'idempotency-key': key });
    expect(first.status).toBe(404);
    const again = await rest(server.url, 'PATCH', missing, { company: 'X' }, { ...admin, 'idempotency-key': key });
    expect(again.status).toBe(404);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const c = (await rest(server.url, 'POST', '/customers', newCustomer(), admin)).body;
    const key2 = newKey();
    const stale = await rest(server.url, 'PATCH', customerPath(c.email), { company: 'Y', version: 7 }, { ...admin, 'idempotency-key': key2 });
    expect(stale.status).toBe(409);
    const replay = await rest(server.url, 'PATCH', customerPath(c.email), { company: 'Y', version: 7 }, { ...admin, 'idempotency-key': key2 });
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual(stale.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('keys belong to their caller: the same key from two callers runs twice', async () => {
    const key = newKey();
    const a = await signupCustomer(server);
    const b = await signupCustomer(server);
    const ra = await rest(server.url, 'PATCH', customerPath(a.email), { company: 'A' }, { ...bearer(a.tokens.accessToken), 'idempotency-key': key });
    const rb = await rest(server.url, 'PATCH', customerPath(b.email), { company: 'B' }, { ...bearer(b.tokens.accessToken), 'idempotency-key': key });
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(rb.headers.get('idempotent-replayed')).toBeNull();
    expect(rb.body.company).toBe('B');
  });

  it('a key used after 24 hours is a new request', async () => {
    const c = (await rest(server.url, 'POST', '/customers', newCustomer(), admin)).body;
    const key = newKey();
    const patch = () => rest(server.url, 'PATCH', customerPath(c.email), { company: 'Again' }, { ...admin, 'idempotency-key': key });
    const first = await patch();
    expect(first.body.version).toBe(2);
    clock.advance(23 * 3_600_000);
    admin = await adminHeaders(server);
    const replayed = await patch();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(first.body);
    clock.advance(3_600_000 + 1000);
    admin = await adminHeaders(server);
    const later = await patch();
    expect(later.status).toBe(200);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    // Ran again: a no-op change (same company) keeps the version.
    expect(later.body.version).toBe(2);
    expect(later.body.updatedAt).toBe(first.body.updatedAt);
  });

  it('refuses malformed keys, keys on operations that return secrets, and keys without a caller (400)', async () => {
    for (const bad of ['', 'tab\there', 'x'.repeat(256), '"unterminated', '"bad\\escape"', 'café']) {
      const r = await rest(server.url, 'POST', '/customers', newCustomer(), { ...admin, 'idempotency-key': bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'k', scopes: ['customers:read'] }, { ...admin, 'idempotency-key': newKey() });
    expect(key.status).toBe(400);
    expect(key.body.message).toMatch(/returns a secret/);
    const login = await rest(server.url, 'POST', '/auth/login', { email: 'a@b.co', password: 'whatever1' }, { 'idempotency-key': newKey() });
    expect(login.status).toBe(400);
    const reset = await rest(server.url, 'POST', '/auth/reset', { email: 'a@b.co' }, { 'idempotency-key': newKey() });
    expect(reset.status).toBe(400);
    expect(reset.body.message).toMatch(/signed-in caller/);
  });

  it('expired records are purged by housekeeping', async () => {
    const { housekeeping } = await import('../server/ops/housekeeping.js');
    await rest(server.url, 'POST', '/customers', newCustomer(), { ...admin, 'idempotency-key': newKey() });
    const count = async () => Number((await sqlQuery<{ n: number }>(server.app.config.database, 'select count(*) as n from idempotency_records'))[0]!.n);
    expect(await count()).toBeGreaterThan(0);
    const later = new TestClock();
    later.advance(clock.now().getTime() - Date.now() + 25 * 3_600_000);
    await housekeeping(server.app.orm, later);
    expect(await count()).toBe(0);
  });
});

describe('Idempotency-Key over tRPC', () => {
  const client = (key: string | undefined, batch = false) => {
    const link = (batch ? httpBatchLink : httpLink)({
      url: `${server.url}/trpc`,
      transformer: superjson,
      headers: () => ({ ...admin, ...(key ? { 'idempotency-key': key } : {}) }),
    });
    return createTRPCClient<AppRouter>({ links: [link] });
  };

  it('replays a mutation; 422 on another input', async () => {
    const key = newKey();
    const body = newCustomer();
    const first = await client(key).customers.create.mutate(body);
    const again = await client(key).customers.create.mutate(body);
    expect(again).toEqual(first);
    expect(again.createdAt).toBeInstanceOf(Date);
    expect(await customersNamed(body.email)).toHaveLength(1);
    await expect(client(key).customers.create.mutate(newCustomer())).rejects.toMatchObject({ data: { code: 'UNPROCESSABLE_CONTENT', httpStatus: 422 } });
  });

  it('a REST call and a tRPC call with one key are one request', async () => {
    const key = newKey();
    const body = newCustomer();
    const viaRest = await rest(server.url, 'POST', '/customers', body, { ...admin, 'idempotency-key': key });
    const viaTrpc = await client(key).customers.create.mutate(body);
    expect(viaTrpc.id).toBe(viaRest.body.id);
  });

  it('refuses a batch of several calls carrying a key (400), and runs none of them', async () => {
    const c = client(newKey(), true);
    const [a, b] = [newCustomer(), newCustomer()];
    const results = await Promise.allSettled([c.customers.create.mutate(a), c.customers.create.mutate(b)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as TRPCClientError<AppRouter>;
      expect(err.data?.code).toBe('BAD_REQUEST');
      expect(err.message).toMatch(/batch/);
    }
    expect(await customersNamed(a.email)).toHaveLength(0);
    expect(await customersNamed(b.email)).toHaveLength(0);
  });
});
