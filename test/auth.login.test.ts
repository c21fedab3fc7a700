import type { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { login, signupCustomer } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { rest, startServer, type TestServer } from './helpers/server.js';

const MIN = 60_000;

describe('signup', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('creates the account and its customer record, and signs in', async () => {
    const r = await rest(server.url, 'POST', '/auth/signup', {
      email: ' New.User@Example.com ',
      password: 'a sturdy passphrase',
      firstName: 'New',
      lastName: 'User',
      company: 'Newco',
    });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ email: 'new.user@example.com', role: 'customer' });
    expect(r.body.customer).toMatchObject({ email: 'new.user@example.com', firstName: 'New', company: 'Newco', version: 1 });
    expect(r.body.tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(JSON.stringify(r.body)).not.toMatch(/passwordHash|refreshHash|\$2b\$/);
    const me = await rest(server.url, 'GET', '/auth/me', undefined, { authorization: `Bearer ${r.body.tokens.accessToken}` });
    expect(me.status).toBe(200);
    expect(me.body.customer.email).toBe('new.user@example.com');
    const again = await rest(server.url, 'POST', '/auth/signup', {
      email: 'new.user@example.com',
      password: 'another sturdy one',
      firstName: 'X',
      lastName: 'Y',
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CONFLICT');
  });

  it('does not hand over an imported customer record at signup: the account starts with none (auth.verify.test.ts has the rest)', async () => {
    const admin = await login(server, 'admin@test.local', 'admin-test-password-7Q');
    const auth = { authorization: `Bearer ${admin.accessToken}` };
    const created = await rest(
      server.url,
      'POST',
      '/customers',
      { email: 'imported@example.com', firstName: 'Imported', lastName: 'Person', metadata: { source: 'crm' } },
      auth,
    );
    expect(created.status).toBe(200);
    const r = await rest(server.url, 'POST', '/auth/signup', {
      email: 'IMPORTED@example.com',
      password: 'claiming my record',
      firstName: 'Other',
      lastName: 'Name',
    });
    expect(r.status).toBe(200);
    expect(r.body.customer).toBeNull();
    expect((await rest(server.url, 'GET', '/customers/imported%40example.com', undefined, auth)).body).toEqual(created.body);
  });

  it.each([
    ['seven chars', 'Short7!', 'password'],
    ['over 72 UTF-8 bytes (37 two-byte characters)', 'é'.repeat(37), 'password'],
    ['a common password', 'password123', null],
    ['an unknown field', 'a sturdy passphrase', 'role'],
  ])('refuses %s with 400 and creates nothing', async (_name, password, issuePath) => {
    const email = `refused.${Math.random().toString(36).slice(2)}@example.com`;
    const body: Record<string, unknown> = { email, password, firstName: 'A', lastName: 'B' };
    if (issuePath === 'role') body.role = 'admin';
    const r = await rest(server.url, 'POST', '/auth/signup', body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
    if (issuePath) expect(r.body.issues.map((i: { path: string }) => i.path)).toContain(issuePath);
    expect((await rest(server.url, 'POST', '/auth/login', { email, password })).status).toBe(401);
  });

  it('accepts exactly 72 bytes and checks every one of them (no truncation)', async () => {
    const password = 'é'.repeat(36); // 72 bytes
    const { email } = await signupCustomer(server, { password });
    expect((await rest(server.url, 'POST', '/auth/login', { email, password })).status).toBe(200);
    // bcrypt would ignore byte 73+; a password equal in its first 72 bytes must still fail.
    expect((await rest(server.url, 'POST', '/auth/login', { email, password: `${password}x` })).status).toBe(401);
    expect((await rest(server.url, 'POST', '/auth/login', { email, password: `${'é'.repeat(35)}e` })).status).toBe(401);
  });

  it('is one transaction: a failure after the account insert leaves neither account nor customer', async () => {
    const conn = server.app.orm.em.getConnection();
    const postgres = server.app.config.database.kind === 'postgresql';
    // A real database failure right after the account row is written: refuse the session insert.
    if (postgres) {
      await conn.execute(`create or replace function refuse_session() returns trigger as $$ begin raise exception 'forced failure'; end $$ language plpgsql`);
      await conn.execute('create trigger refuse_session before insert on sessions for each row execute function refuse_session()');
    } else {
      await conn.execute("create trigger refuse_session before insert on sessions begin select raise(abort, 'forced failure'); end");
    }
    try {
      const r = await rest(server.url, 'POST', '/auth/signup', { email: 'atomic@example.com', password: 'atomic passphrase', firstName: 'A', lastName: 'B' });
      expect(r.status).toBe(500);
      expect(JSON.stringify(r.body)).not.toContain('forced failure');
      const users = (await conn.execute("select count(*) as n from users where email = 'atomic@example.com'")) as { n: unknown }[];
      const customers = (await conn.execute("select count(*) as n from customers where email = 'atomic@example.com'")) as { n: unknown }[];
      expect(Number(users[0]!.n)).toBe(0);
      expect(Number(customers[0]!.n)).toBe(0);
    } finally {
      await conn.execute(postgres ? 'drop trigger refuse_session on sessions' : 'drop trigger refuse_session');
    }
    expect(
      (await rest(server.url, 'POST', '/auth/signup', { email: 'atomic@example.com', password: 'atomic passphrase', firstName: 'A', lastName: 'B' })).status,
    ).toBe(200);
  });

  it('uses bcrypt cost 12 unless BCRYPT_COST says otherwise', async () => {
    expect(loadConfig({}).auth.bcryptCost).toBe(12);
    const prod = await startServer({ BCRYPT_COST: '' });
    try {
      const { email } = await signupCustomer(prod);
      const [row] = (await prod.app.orm.em.getConnection().execute('select password_hash from users where email = ?', [email])) as { password_hash: string }[];
      expect(row!.password_hash).toMatch(/^\$2b\$12\$/);
    } finally {
      await prod.close();
    }
  });
});

describe('login', () => {
  let server: TestServer;
  const clock = new TestClock();
  beforeAll(async () => {
    server = await startServer({ BCRYPT_COST: '8' }, { clock });
  });
  afterAll(() => server.close());

  it('answers an unknown email and a wrong password with the same 401, each after one bcrypt compare', async () => {
    const { email } = await signupCustomer(server);
    // Counted, not timed (the machine may be loaded): without the dummy hash an unknown email would
    // skip bcrypt and answer measurably faster, which is what an attacker would time.
    const comparesOf = async (body: object) => {
      const before = server.app.passwordCompares();
      const r = await rest(server.url, 'POST', '/auth/login', body);
      return { r, compares: server.app.passwordCompares() - before };
    };
    const wrong = await comparesOf({ email, password: 'not the password' });
    const unknown = await comparesOf({ email: 'nobody@example.com', password: 'not the password' });
    expect(wrong.r.status).toBe(401);
    expect(unknown.r.status).toBe(401);
    expect(unknown.r.body).toEqual(wrong.r.body);
    expect(wrong.compares).toBe(1);
    expect(unknown.compares).toBe(1);
  });

  it('allows 10 failures per account in 15 minutes, then 429 with Retry-After, even for the right password', async () => {
    const victim = await signupCustomer(server);
    const bystander = await signupCustomer(server);
    for (let i = 0; i < 10; i++) {
      expect((await rest(server.url, 'POST', '/auth/login', { email: victim.email, password: `guess-${i}-guess` })).status).toBe(401);
    }
    const locked = await rest(server.url, 'POST', '/auth/login', { email: victim.email, password: victim.password });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('TOO_MANY_REQUESTS');
    const retry = Number(locked.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(800);
    expect(retry).toBeLessThanOrEqual(900);
    // Other accounts from the same address are not locked out.
    expect((await rest(server.url, 'POST', '/auth/login', { email: bystander.email, password: bystander.password })).status).toBe(200);
    clock.advance(15 * MIN + 1000);
    expect((await rest(server.url, 'POST', '/auth/login', { email: victim.email, password: victim.password })).status).toBe(200);
  });

  it('never counts a successful login', async () => {
    const user = await signupCustomer(server);
    for (let i = 0; i < 15; i++) await login(server, user.email, user.password);
    for (let i = 0; i < 9; i++) {
      expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: 'wrong password!' })).status).toBe(401);
    }
    await login(server, user.email, user.password);
  });

  it('never refuses concurrent correct logins, and lets no more than 10 concurrent guesses through', async () => {
    const user = await signupCustomer(server);
    const good = await Promise.all(Array.from({ length: 15 }, () => rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password })));
    expect(good.map((r) => r.status)).toEqual(Array(15).fill(200));
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rest(server.url, 'POST', '/auth/login', { email: user.email, password: `parallel guess ${i}` })),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });

  it('tells tRPC callers the same, with Retry-After on 429', async () => {
    const user = await signupCustomer(server);
    const trpc = server.trpc();
    const failure = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return err as TRPCClientError<any>;
      }
      throw new Error('expected failure');
    };
    const bad = await failure(trpc.auth.login.mutate({ email: user.email, password: 'wrong password!' }));
    expect(bad.data.code).toBe('UNAUTHORIZED');
    expect(bad.message).toBe('Invalid email or password');
    const ok = await trpc.auth.login.mutate({ email: user.email, password: user.password });
    expect(ok.user.createdAt).toBeInstanceOf(Date);
    for (let i = 0; i < 9; i++) await failure(trpc.auth.login.mutate({ email: user.email, password: 'wrong password!' }));
    const res = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: user.email, password: user.password } }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('login throttling per address', () => {
  it('allows 50 failures per address in 15 minutes across accounts, then 429', async () => {
    const server = await startServer();
    try {
      for (let i = 0; i < 50; i++) {
        const r = await rest(server.url, 'POST', '/auth/login', { email: `spray${i}@example.com`, password: 'spraying passwords' });
        expect(r.status, `attempt ${i + 1}`).toBe(401);
      }
      const r = await rest(server.url, 'POST', '/auth/login', { email: 'spray-last@example.com', password: 'spraying passwords' });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

describe('login throttling per address, with checks in flight', () => {
  // Room in the hash queue for every check, so each refusal here is the throttle's.
  const env = { BCRYPT_COST: '6', HASH_QUEUE_LIMIT: '500' };

  it('90 parallel wrong passwords at different emails from one address: exactly 50 are checked (401), 40 refused (429)', async () => {
    const server = await startServer(env);
    try {
      const results = await Promise.all(
        Array.from({ length: 90 }, (_, i) => rest(server.url, 'POST', '/auth/login', { email: `parallel${i}@example.com`, password: 'spraying in parallel' })),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(50);
      expect(statuses.filter((s) => s === 429)).toHaveLength(40);
      for (const r of results.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      const [row] = (await server.app.orm.em.fork().getConnection().execute(`select count(*) as n from throttle_events where key like 'login:ip:%'`)) as {
        n: number | string;
      }[];
      expect(Number(row!.n)).toBe(50);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('60 parallel correct logins from one address all succeed: a check in flight makes others wait, never fail', async () => {
    const server = await startServer(env);
    try {
      const users = await Promise.all(Array.from({ length: 60 }, () => signupCustomer(server)));
      const results = await Promise.all(users.map(({ email, password }) => rest(server.url, 'POST', '/auth/login', { email, password })));
      expect(results.map((r) => r.status)).toEqual(Array(60).fill(200));
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('password hashing under a flood', () => {
  it('queues at most HASH_QUEUE_LIMIT logins and refuses the rest at once with 429 + Retry-After', async () => {
    const server = await startServer({ BCRYPT_COST: '10', HASH_CONCURRENCY: '1', HASH_QUEUE_LIMIT: '2' });
    try {
      // Different accounts: checks of one account queue per account before they reach the hasher.
      const users = [];
      for (let i = 0; i < 8; i++) users.push(await signupCustomer(server));
      const results = await Promise.all(users.map(({ email, password }) => rest(server.url, 'POST', '/auth/login', { email, password })));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
      const refused = results.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(r.headers.get('retry-after')).toBe('1');
      expect((await rest(server.url, 'GET', '/health')).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
