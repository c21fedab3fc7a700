/**
 * Input the probe got past (issue 14, items 7, 8, 10), on both wires:
 *   - `__proto__` keys (signup body, metadata, address) are refused with 400; tRPC used to drop
 *     them silently and answer 200, storing less than it acknowledged;
 *   - text that is not well-formed Unicode (a lone surrogate) is refused with 400 in every text
 *     field, emails included; it used to be stored as U+FFFD;
 *   - query numbers are decimal digits only: `0x10`, `1e2`, ` 5 ` are refused with 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: Record<string, string>;
beforeAll(async () => {
  server = await startServer();
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

/** A raw tRPC mutation: the body text exactly as given, wrapped as superjson's `{ json }`. */
async function trpcRaw(procedure: string, jsonText: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: `{"json":${jsonText}}`,
  });
  const body = (await res.json()) as { error?: { json: { data: { code: string; issues?: { path: string }[] } } } };
  return { status: res.status, body };
}

/** A raw REST call: the body text exactly as given. */
async function restRaw(method: string, urlPath: string, jsonText: string, headers: Record<string, string> = {}) {
  return rest(server.url, method, urlPath, jsonText, headers);
}

const customerCount = async () => {
  const [row] = (await server.app.orm.em.fork().getConnection().execute('select count(*) as n from customers')) as { n: number | string }[];
  return Number(row!.n);
};

describe('__proto__ keys', () => {
  const PROTO_KEYS = ['"__proto__"', '"\\u005f\\u005fproto\\u005f\\u005f"'];

  it.each(PROTO_KEYS)('refuses %s in a signup body on both wires, and creates no account', async (key) => {
    const email = `proto.${Math.random().toString(36).slice(2)}@example.com`;
    const body = `{${key}:{"role":"admin"},"email":"${email}","password":"Proto-sturdy-pass-1","firstName":"P","lastName":"Q"}`;
    const viaTrpc = await trpcRaw('auth.signup', body);
    expect(viaTrpc.status).toBe(400);
    expect(viaTrpc.body.error?.json.data.code).toBe('BAD_REQUEST');
    const viaRest = await restRaw('POST', '/auth/signup', body);
    expect(viaRest.status).toBe(400);
    expect(viaRest.body.code).toBe('BAD_REQUEST');
    expect((await rest(server.url, 'POST', '/auth/login', { email, password: 'Proto-sturdy-pass-1' })).status).toBe(401);
  });

  it.each(PROTO_KEYS)('refuses %s as a metadata or address key on create and update, on both wires, and changes nothing', async (key) => {
    const before = await customerCount();
    const c = newCustomer();
    for (const fields of [`"metadata":{${key}:"x","plan":"pro"}`, `"address":{"line1":"1 High St","city":"London","country":"GB",${key}:{"x":1}}`]) {
      const body = `{"email":"${c.email}","firstName":"A","lastName":"B",${fields}}`;
      const viaTrpc = await trpcRaw('customers.create', body, admin);
      expect(viaTrpc.status, fields).toBe(400);
      expect(viaTrpc.body.error?.json.data.issues?.map((i) => i.path)).toEqual([expect.stringMatching(/^(metadata|address)\.__proto__$/)]);
      expect((await restRaw('POST', '/customers', body, admin)).status).toBe(400);
    }
    expect(await customerCount()).toBe(before);

    const created = await rest(server.url, 'POST', '/customers', { ...c, metadata: { plan: 'basic' } }, admin);
    expect(created.status).toBe(200);
    const patch = `{"email":"${c.email}","metadata":{${key}:"x","plan":"pro"}}`;
    expect((await trpcRaw('customers.update', patch, admin)).status).toBe(400);
    expect((await restRaw('PATCH', customerPath(c.email), `{"metadata":{${key}:"x","plan":"pro"}}`, admin)).status).toBe(400);
    expect((await rest(server.url, 'GET', customerPath(c.email), undefined, admin)).body).toEqual(created.body);
  });

  it('refuses "constructor" and "prototype" as metadata keys on both wires too (superjson cannot carry them back)', async () => {
    const before = await customerCount();
    for (const key of ['constructor', 'prototype']) {
      const body = `{"email":"${newCustomer().email}","firstName":"A","lastName":"B","metadata":{"${key}":"x"}}`;
      const viaRest = await restRaw('POST', '/customers', body, admin);
      expect(viaRest.status, key).toBe(400);
      expect(viaRest.body.issues.map((i: { path: string }) => i.path)).toEqual([`metadata.${key}`]);
      const viaTrpc = await trpcRaw('customers.create', body, admin);
      expect(viaTrpc.status, key).toBe(400);
      expect(viaTrpc.body.error?.json.data.issues?.map((i) => i.path)).toEqual([`metadata.${key}`]);
    }
    expect(await customerCount()).toBe(before);
  });

  it('keeps other keys that merely look special ("toString", "hasOwnProperty", "__proto") as sent', async () => {
    const metadata = { toString: 'a', hasOwnProperty: 'b', __proto: 'c', valueOf: 'd' };
    const c = { ...newCustomer(), metadata };
    const viaTrpc = await server.trpc(admin.authorization!.slice('Bearer '.length)).customers.create.mutate(c);
    expect(viaTrpc.metadata).toEqual(metadata);
    const viaRest = await rest(server.url, 'GET', customerPath(c.email), undefined, admin);
    expect(viaRest.body.metadata).toEqual(metadata);
  });
});

describe('text that is not well-formed Unicode', () => {
  const LONE = ['\\ud800x', 'x\\udfff', '\\udc00\\ud800'];

  it.each(LONE)('refuses a lone surrogate (%s) in every text field, on both wires, with the field named', async (bad) => {
    const before = await customerCount();
    const c = newCustomer();
    const fields: [string, string][] = [
      ['firstName', `{"email":"${c.email}","firstName":"${bad}","lastName":"B"}`],
      ['company', `{"email":"${c.email}","firstName":"A","lastName":"B","company":"${bad}"}`],
      ['address.city', `{"email":"${c.email}","firstName":"A","lastName":"B","address":{"line1":"1","city":"${bad}","country":"GB"}}`],
      ['metadata.k', `{"email":"${c.email}","firstName":"A","lastName":"B","metadata":{"k":"${bad}"}}`],
      ['email', `{"email":"a${bad}@example.com","firstName":"A","lastName":"B"}`],
    ];
    for (const [field, body] of fields) {
      const viaRest = await restRaw('POST', '/customers', body, admin);
      expect(viaRest.status, `${field} over REST`).toBe(400);
      expect(
        viaRest.body.issues.map((i: { path: string }) => i.path),
        field,
      ).toContain(field);
      const viaTrpc = await trpcRaw('customers.create', body, admin);
      expect(viaTrpc.status, `${field} over tRPC`).toBe(400);
      expect(viaTrpc.body.error?.json.data.issues?.map((i) => i.path)).toContain(field);
    }
    // A metadata key, and the password and email of signup and login.
    expect((await restRaw('POST', '/customers', `{"email":"${c.email}","firstName":"A","lastName":"B","metadata":{"${bad}":"v"}}`, admin)).status).toBe(400);
    expect((await restRaw('POST', '/auth/signup', `{"email":"${c.email}","firstName":"A","lastName":"B","password":"Sturdy-pass-${bad}"}`)).status).toBe(400);
    expect((await trpcRaw('auth.login', `{"email":"${c.email}","password":"pw-${bad}-pw"}`)).status).toBe(400);
    expect((await rest(server.url, 'GET', `/customers?q=${encodeURIComponent('ok')}`, undefined, admin)).status).toBe(200);
    const q = await fetch(`${server.url}/trpc/customers.list?input=${encodeURIComponent(`{"json":{"q":"${bad}"}}`)}`, { headers: admin });
    expect(q.status).toBe(400);
    expect(await customerCount()).toBe(before);
  });

  it('keeps well-formed text of every plane as sent (surrogate pairs, combining marks)', async () => {
    const c = { ...newCustomer(), firstName: '😀 Ada', lastName: 'e\u0301 𝕒', metadata: { 𝕜: '👨‍👩‍👧‍👦' } };
    const r = await rest(server.url, 'POST', '/customers', c, admin);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ firstName: c.firstName, lastName: c.lastName, metadata: c.metadata });
  });
});

describe('query numbers', () => {
  it.each(['0x10', '1e2', ' 5 ', '+5', '5.0', '-1', '', '0b11', '1_0', 'Infinity', '٥'])('refuses limit=%j with 400', async (limit) => {
    const r = await rest(server.url, 'GET', `/customers?limit=${encodeURIComponent(limit)}`, undefined, admin);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
    expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual(['limit']);
  });

  it('accepts decimal digits (and a number over tRPC)', async () => {
    for (const limit of ['5', '005', '200']) {
      const r = await rest(server.url, 'GET', `/customers?limit=${limit}`, undefined, admin);
      expect(r.status, limit).toBe(200);
    }
    expect((await rest(server.url, 'GET', '/customers?limit=201', undefined, admin)).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
    const page = await server.trpc(admin.authorization!.slice('Bearer '.length)).customers.list.query({ limit: 2 });
    expect(page.items).toHaveLength(2);
  });
});
