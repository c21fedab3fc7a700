import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, bearer, signupCustomer } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

/**
 * The fast lane for single tRPC GET queries must answer exactly as tRPC's fastify adapter does:
 * two servers on one database, one with the lane and one without, asked the same things.
 */
let fast: TestServer;
let official: TestServer;
let admin: string;
let customerToken: string;
let existing: string;

beforeAll(async () => {
  fast = await startServer();
  const db = fast.app.config.database;
  official = await startServer({ DATA_DIR: fast.dataDir, ...(db.kind === 'postgresql' ? { DATABASE_URL: db.url } : {}) }, { trpcFastLane: false });
  admin = await adminToken(fast);
  customerToken = (await signupCustomer(fast)).tokens.accessToken;
  const c = newCustomer({ address: { line1: '1 Road', city: 'Oslo', country: 'NO' }, metadata: { a: 'b' } });
  expect((await rest(fast.url, 'POST', '/customers', c, bearer(admin))).status).toBe(200);
  existing = c.email;
});
afterAll(async () => {
  await official.app.http.close();
  await fast.close();
});

const q = (path: string, input?: unknown) => `/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`;

async function both(path: string, headers: Record<string, string> = {}) {
  const [a, b] = await Promise.all([fast, official].map((s) => fetch(s.url + path, { headers })));
  return {
    fast: {
      status: a!.status,
      type: a!.headers.get('content-type'),
      vary: a!.headers.get('vary'),
      retry: a!.headers.get('retry-after'),
      body: await a!.text(),
    },
    official: {
      status: b!.status,
      type: b!.headers.get('content-type'),
      vary: b!.headers.get('vary'),
      retry: b!.headers.get('retry-after'),
      body: await b!.text(),
    },
  };
}

describe('tRPC fast lane', () => {
  const cases: [string, () => string, () => Record<string, string>][] = [
    ['a customer', () => q('customers.get', { email: existing }), () => bearer(admin)],
    ['a customer by upper-case email', () => q('customers.get', { email: existing.toUpperCase() }), () => bearer(admin)],
    ['a missing customer (404)', () => q('customers.get', { email: 'ghost@example.com' }), () => bearer(admin)],
    ['invalid input (400 with issues)', () => q('customers.get', { email: 'not-an-email', extra: 1 }), () => bearer(admin)],
    ['no token (401)', () => q('customers.get', { email: existing }), () => ({})],
    ['a garbage token (401)', () => q('customers.get', { email: existing }), () => bearer('a.b.c')],
    ['another customer (403)', () => q('customers.get', { email: existing }), () => bearer(customerToken)],
    ['a list page', () => q('customers.list', { limit: 2, sort: 'email' }), () => bearer(admin)],
    ['a bad cursor (400)', () => q('customers.list', { cursor: 'nope' }), () => bearer(admin)],
    ['a query without input', () => q('auth.me'), () => bearer(customerToken)],
    ['a mutation over GET (falls through)', () => q('customers.create', {}), () => bearer(admin)],
    ['an unknown procedure (falls through)', () => q('customers.nope', {}), () => bearer(admin)],
    ['unparsable input (falls through)', () => '/trpc/customers.get?input=%7Bnot-json', () => bearer(admin)],
  ];
  for (const [name, path, headers] of cases) {
    it(`answers ${name} exactly as the adapter`, async () => {
      const r = await both(path(), headers());
      expect(r.fast).toEqual(r.official);
    });
  }

  it('serves real Dates to the tRPC client, equal to the REST timestamps', async () => {
    const trpc = fast.trpc(admin);
    const c = await trpc.customers.get.query({ email: existing });
    expect(c.createdAt).toBeInstanceOf(Date);
    const r = await rest(fast.url, 'GET', customerPath(existing), undefined, bearer(admin));
    expect(new Date(r.body.createdAt)).toEqual(c.createdAt);
  });
});
