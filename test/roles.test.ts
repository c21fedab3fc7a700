import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, bearer, signupCustomer } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: string;
let alice: Awaited<ReturnType<typeof signupCustomer>>;
let bobEmail: string;

beforeAll(async () => {
  server = await startServer();
  admin = await adminToken(server);
  alice = await signupCustomer(server);
  bobEmail = (await signupCustomer(server)).email;
});
afterAll(() => server.close());

type Who = 'anonymous' | 'customer' | 'admin';
const headersOf = (who: Who) => (who === 'admin' ? bearer(admin) : who === 'customer' ? bearer(alice.tokens.accessToken) : {});

/** Every customer route, with what each role gets: the contract's role table. */
const matrix: { name: string; call: () => [string, string, unknown?]; expect: Record<Who, number> }[] = [
  { name: 'list', call: () => ['GET', '/customers'], expect: { anonymous: 401, customer: 403, admin: 200 } },
  { name: 'create', call: () => ['POST', '/customers', newCustomer()], expect: { anonymous: 401, customer: 403, admin: 200 } },
  { name: 'get own', call: () => ['GET', customerPath(alice.email)], expect: { anonymous: 401, customer: 200, admin: 200 } },
  { name: 'get other', call: () => ['GET', customerPath(bobEmail)], expect: { anonymous: 401, customer: 403, admin: 200 } },
  { name: 'get missing', call: () => ['GET', customerPath('ghost@example.com')], expect: { anonymous: 401, customer: 403, admin: 404 } },
  { name: 'update own', call: () => ['PATCH', customerPath(alice.email), { company: 'Own Co' }], expect: { anonymous: 401, customer: 200, admin: 200 } },
  { name: 'update other', call: () => ['PATCH', customerPath(bobEmail), { company: 'Hijack' }], expect: { anonymous: 401, customer: 403, admin: 200 } },
  { name: 'update missing', call: () => ['PATCH', customerPath('ghost@example.com'), { company: 'X' }], expect: { anonymous: 401, customer: 403, admin: 404 } },
  { name: 'delete other', call: () => ['DELETE', customerPath('ghost@example.com')], expect: { anonymous: 401, customer: 403, admin: 404 } },
  { name: 'delete own', call: () => ['DELETE', customerPath(alice.email)], expect: { anonymous: 401, customer: 403, admin: 200 } },
];

describe('role matrix over REST', () => {
  for (const who of ['anonymous', 'customer', 'admin'] as const) {
    it(`${who}`, async () => {
      for (const row of matrix) {
        if (who === 'admin' && row.name === 'delete own') continue; // would end alice; covered below
        const [method, path, body] = row.call();
        const r = await rest(server.url, method, path, body, headersOf(who));
        expect(r.status, `${who} ${row.name}`).toBe(row.expect[who]);
        if (r.status >= 400) expect(r.body.code, row.name).toBe({ 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[r.status]);
      }
    });
  }

  it('a customer cannot change who they are through the email case or spacing', async () => {
    const r = await rest(server.url, 'GET', customerPath(alice.email.toUpperCase()), undefined, bearer(alice.tokens.accessToken));
    expect(r.status).toBe(200);
    expect(r.body.email).toBe(alice.email);
  });
});

describe('role matrix over tRPC', () => {
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'OK';
    } catch (err) {
      if (err instanceof TRPCClientError) return (err as TRPCClientError<any>).data?.code as string;
      throw err;
    }
  };

  it('applies the same rules', async () => {
    const anon = server.trpc();
    const cust = server.trpc(alice.tokens.accessToken);
    const adm = server.trpc(admin);
    expect(await code(anon.customers.list.query({}))).toBe('UNAUTHORIZED');
    expect(await code(cust.customers.list.query({}))).toBe('FORBIDDEN');
    expect(await code(adm.customers.list.query({}))).toBe('OK');
    expect(await code(cust.customers.create.mutate(newCustomer()))).toBe('FORBIDDEN');
    expect(await code(cust.customers.get.query({ email: alice.email }))).toBe('OK');
    expect(await code(cust.customers.get.query({ email: bobEmail }))).toBe('FORBIDDEN');
    expect(await code(cust.customers.get.query({ email: 'ghost@example.com' }))).toBe('FORBIDDEN');
    expect(await code(cust.customers.update.mutate({ email: bobEmail, company: 'x' }))).toBe('FORBIDDEN');
    expect(await code(cust.customers.delete.mutate({ email: alice.email }))).toBe('FORBIDDEN');
    expect(await code(anon.auth.me.query())).toBe('UNAUTHORIZED');
  });
});

describe('deleting a customer', () => {
  it('deletes its account and sessions: its tokens stop at once and it cannot sign in', async () => {
    const carol = await signupCustomer(server);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(carol.tokens.accessToken))).status).toBe(200);
    const del = await rest(server.url, 'DELETE', customerPath(carol.email), undefined, bearer(admin));
    expect(del.status).toBe(200);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(carol.tokens.accessToken))).status).toBe(401);
    expect((await rest(server.url, 'POST', '/auth/refresh', { refreshToken: carol.tokens.refreshToken })).status).toBe(401);
    expect((await rest(server.url, 'POST', '/auth/login', { email: carol.email, password: carol.password })).status).toBe(401);
    const conn = server.app.orm.em.getConnection();
    const rows = (await conn.execute('select count(*) as n from users where email = ?', [carol.email])) as { n: number | string }[];
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
