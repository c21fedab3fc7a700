import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let auth: Record<string, string>;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  rest(server.url, method, path, body, { ...auth, ...headers });

beforeAll(async () => {
  server = await startServer();
  auth = await adminHeaders(server);
});
afterAll(() => server.close());

describe('REST customers', () => {
  it('creates, reads, updates and deletes a customer', async () => {
    const body = newCustomer({
      phone: '+44 20 7946 0958',
      company: 'Engines',
      address: { line1: '1 High St', city: 'London', country: 'gb' },
      metadata: { plan: 'pro' },
    });
    const created = await call('POST', '/customers', body);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      email: body.email,
      firstName: 'Test',
      phone: '+44 20 7946 0958',
      company: 'Engines',
      metadata: { plan: 'pro' },
      version: 1,
    });
    expect(created.body.address).toEqual({ line1: '1 High St', line2: null, city: 'London', region: null, postalCode: null, country: 'GB' });
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);
    expect(created.headers.get('x-request-id')).toBeTruthy();

    const got = await call('GET', customerPath(body.email));
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const updated = await call('PATCH', customerPath(body.email), { lastName: 'Lovelace', version: 1 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ lastName: 'Lovelace', firstName: 'Test', version: 2, company: 'Engines' });
    expect(Date.parse(updated.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));

    const deleted = await call('DELETE', customerPath(body.email));
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: true, email: body.email });
    expect((await call('GET', customerPath(body.email))).status).toBe(404);
    expect((await call('DELETE', customerPath(body.email))).status).toBe(404);
  });

  it('stores emails trimmed and lower-cased, and matches them case-insensitively', async () => {
    const created = await call('POST', '/customers', newCustomer({ email: '  Mixed.Case+Tag@Example.COM ' }));
    expect(created.status).toBe(200);
    expect(created.body.email).toBe('mixed.case+tag@example.com');
    const upper = await call('GET', `/customers/${encodeURIComponent('MIXED.CASE+TAG@EXAMPLE.COM')}`);
    expect(upper.status).toBe(200);
    expect(upper.body.email).toBe('mixed.case+tag@example.com');
    const dup = await call('POST', '/customers', newCustomer({ email: 'mixed.case+tag@example.com' }));
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CONFLICT');
  });

  it('decodes percent-encoded path emails (%40, %2B) and refuses a raw + as a different address', async () => {
    const email = `a+b.${Date.now()}@example.com`;
    expect((await call('POST', '/customers', newCustomer({ email }))).status).toBe(200);
    const encoded = email.replace('+', '%2B').replace('@', '%40');
    const got = await call('GET', `/customers/${encoded}`);
    expect(got.status).toBe(200);
    expect(got.body.email).toBe(email);
    const lowerHex = await call('GET', `/customers/${email.replace('+', '%2b').replace('@', '%40')}`);
    expect(lowerHex.status).toBe(200);
    const patched = await call('PATCH', `/customers/${encoded}`, { company: 'Plus Co' });
    expect(patched.status).toBe(200);
    expect(patched.body.company).toBe('Plus Co');
  });

  it('refuses invalid input with 400 and one issue per bad field, and writes nothing', async () => {
    const bad = await call('POST', '/customers', {
      email: 'not-an-email',
      firstName: '   ',
      lastName: 'x'.repeat(101),
      address: { line1: 'x', city: 'y', country: 'XX' },
      metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
      surprise: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
    expect(bad.body.message).toBe('Input validation failed');
    const paths = bad.body.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(['address.country', 'email', 'firstName', 'lastName', 'metadata', 'surprise'].sort());
    const list = await call('GET', '/customers?q=not-an-email');
    expect(list.body.items).toEqual([]);
  });

  it('refuses a metadata value over 500 characters and keys over 40', async () => {
    const r = await call('POST', '/customers', newCustomer({ metadata: { ['k'.repeat(41)]: 'v', ok: 'x'.repeat(501) } }));
    expect(r.status).toBe(400);
    expect(r.body.issues.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses NUL characters in text fields, search and passwords with 400', async () => {
    const r = await call('POST', '/customers', newCustomer({ firstName: 'A\u0000B', metadata: { k: 'v\u0000' } }));
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['firstName', 'metadata.k']);
    expect((await call('GET', `/customers?q=${encodeURIComponent('a\u0000')}`)).status).toBe(400);
    const login = await rest(server.url, 'POST', '/auth/login', { email: 'a@example.com', password: 'abc\u0000def-long' });
    expect(login.status).toBe(400);
  });

  it('keeps any Unicode in names as sent, trimmed', async () => {
    const r = await call('POST', '/customers', newCustomer({ firstName: '  Zoë 李 ', lastName: 'Ångström-Øster' }));
    expect(r.status).toBe(200);
    expect(r.body.firstName).toBe('Zoë 李');
    expect(r.body.lastName).toBe('Ångström-Øster');
  });

  it('answers a stale version with 409 and changes nothing', async () => {
    const c = (await call('POST', '/customers', newCustomer())).body;
    expect((await call('PATCH', customerPath(c.email), { firstName: 'One', version: 1 })).status).toBe(200);
    const stale = await call('PATCH', customerPath(c.email), { firstName: 'Two', version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('CONFLICT');
    const now = (await call('GET', customerPath(c.email))).body;
    expect(now.firstName).toBe('One');
    expect(now.version).toBe(2);
  });

  it('lets exactly one of N concurrent updates with the same version win', async () => {
    const c = (await call('POST', '/customers', newCustomer())).body;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => call('PATCH', customerPath(c.email), { firstName: `Writer${i}`, version: 1 })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    const winner = results.find((r) => r.status === 200)!.body.firstName;
    const now = (await call('GET', customerPath(c.email))).body;
    expect(now.firstName).toBe(winner);
    expect(now.version).toBe(2);
  });

  it('updates without a version as last-writer-wins and bumps the version each time', async () => {
    const c = (await call('POST', '/customers', newCustomer())).body;
    await call('PATCH', customerPath(c.email), { company: 'A' });
    const r = await call('PATCH', customerPath(c.email), { company: null, metadata: { a: '1' } });
    expect(r.body).toMatchObject({ company: null, metadata: { a: '1' }, version: 3 });
  });

  it('does not bump the version or updatedAt when an update changes nothing', async () => {
    const c = (await call('POST', '/customers', newCustomer({ company: 'Same' }))).body;
    const r = await call('PATCH', customerPath(c.email), { company: 'Same', firstName: c.firstName, version: 1 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(c);
    const empty = await call('PATCH', customerPath(c.email), {});
    expect(empty.body.version).toBe(1);
  });

  it('refuses an email in the PATCH body (the path names the customer) and unknown fields', async () => {
    const c = (await call('POST', '/customers', newCustomer())).body;
    const r = await call('PATCH', customerPath(c.email), { email: 'other@example.com', firstName: 'X' });
    expect(r.status).toBe(400);
    const u = await call('PATCH', customerPath(c.email), { nickname: 'X' });
    expect(u.status).toBe(400);
    expect(u.body.issues).toEqual([{ path: 'nickname', message: 'Unknown field' }]);
    expect((await call('GET', customerPath(c.email))).body.version).toBe(1);
  });

  it('answers 404 for an unknown customer on get, update and delete', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const r = await call(method, customerPath('nobody@example.com'), method === 'PATCH' ? { firstName: 'X' } : undefined);
      expect(r.status, method).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
    }
  });
});
