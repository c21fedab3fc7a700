import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { migrations } from '../server/db/migrations/postgresql/index.js';
import { openDatabase } from '../server/db/orm.js';
import { SAMPLE_FILE } from '../server/seed.js';
import { bearer, signupCustomer } from './helpers/auth.js';
import { type Cluster, startCluster } from './helpers/cluster.js';
import type { ServerProcess } from './helpers/process.js';
import { customerPath, newCustomer, postgresOnly, rest, startServer, TEST_ADMIN, type TestServer, usingPostgres } from './helpers/server.js';

/**
 * Several Carly instances on one PostgreSQL database (the multi-machine deployment): two real
 * processes, each with its own DATA_DIR, sharing DATABASE_URL and JWT_SECRET, started at the
 * same moment on an empty database. PostgreSQL project only.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The sample customers one start loads: every row of the file (test/seed.test.ts checks they all load). */
const SAMPLE_COUNT = (JSON.parse(fs.readFileSync(SAMPLE_FILE, 'utf8')) as unknown[]).length;

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** What must hold after any number of instances started at once on an empty database. */
async function expectBootstrappedOnce(url: string) {
  const ran = await query<{ name: string }>(url, 'select name from mikro_orm_migrations order by id');
  expect(ran.map((m) => m.name)).toEqual(migrations.map((m) => m.name));
  const admins = await query<{ email: string; role: string }>(url, 'select email, role from users');
  expect(admins).toEqual([{ email: TEST_ADMIN.email, role: 'admin' }]);
  const [customers] = await query<{ n: string }>(url, 'select count(*) as n from customers');
  expect(Number(customers!.n)).toBe(SAMPLE_COUNT);
}

describe.skipIf(!usingPostgres())(postgresOnly('two instances on one PostgreSQL database'), () => {
  let cluster: Cluster | undefined;
  let url: string;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    // At the same moment, on an empty database. Both would load the sample customers: only one may.
    cluster = await startCluster({ together: true, env: { SEED_SAMPLE_DATA: 'true' } });
    [a, b] = cluster.instances as [ServerProcess, ServerProcess];
    url = cluster.databaseUrl;
  }, 120_000);

  afterAll(() => cluster?.stop());

  const adminToken = async (server: ServerProcess) => {
    const r = await rest(server.url, 'POST', '/auth/login', TEST_ADMIN);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.tokens.accessToken as string;
  };

  it('start together on an empty database: migrations run once, one first admin, one copy of the sample data', async () => {
    expect(a.url).not.toBe(b.url);
    await expectBootstrappedOnce(url);
    for (const server of [a, b]) {
      const ready = await rest(server.url, 'GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.database).toMatchObject({ kind: 'postgresql', ok: true });
    }
  });

  it('a session ended through one instance is refused by the other within a second', async () => {
    const user = await signupCustomer({ url: a.url } as TestServer);
    const me = (server: ServerProcess) => rest(server.url, 'GET', '/auth/me', undefined, bearer(user.tokens.accessToken));
    // B has seen the session live (and remembers that for at most a second).
    expect((await me(b)).status).toBe(200);
    const out = await rest(a.url, 'POST', '/auth/logout', undefined, bearer(user.tokens.accessToken));
    expect(out.status).toBe(200);
    const loggedOutAt = Date.now();
    expect((await me(a)).status).toBe(401);
    // The refresh token is checked in the database: refused by B at once.
    expect((await rest(b.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken })).status).toBe(401);
    let refusedAfterMs: number | undefined;
    while (Date.now() - loggedOutAt < 1000) {
      const r = await me(b);
      if (r.status === 401) {
        refusedAfterMs = Date.now() - loggedOutAt;
        break;
      }
      expect(r.status).toBe(200);
      await sleep(25);
    }
    if (refusedAfterMs === undefined) {
      // A second after the logout, B's memory of the session has expired whatever its timing.
      await sleep(Math.max(0, loggedOutAt + 1000 - Date.now()));
      expect((await me(b)).status).toBe(401);
    }
    expect((await me(b)).status).toBe(401);
  });

  it('count failed logins across both instances: 10 per account in all, then 429 on either', async () => {
    const user = await signupCustomer({ url: a.url } as TestServer);
    const attempt = (server: ServerProcess, password: string) => rest(server.url, 'POST', '/auth/login', { email: user.email, password });
    for (let i = 0; i < 10; i++) {
      const r = await attempt(i % 2 ? b : a, `wrong password ${i}`);
      expect(r.status, `failure ${i + 1}`).toBe(401);
    }
    for (const server of [a, b]) {
      const r = await attempt(server, 'wrong password again');
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      // Past the limit even the right password waits.
      expect((await attempt(server, user.password)).status).toBe(429);
    }
  });

  it('an update with a stale version conflicts whichever instance serves it', async () => {
    const auth = { a: bearer(await adminToken(a)), b: bearer(await adminToken(b)) };
    const customer = newCustomer();
    expect((await rest(a.url, 'POST', '/customers', customer, auth.a)).status).toBe(200);
    const path = customerPath(customer.email);
    const viaB = await rest(b.url, 'PATCH', path, { version: 1, company: 'Changed through B' }, auth.b);
    expect(viaB.status).toBe(200);
    expect(viaB.body.version).toBe(2);
    const stale = await rest(a.url, 'PATCH', path, { version: 1, company: 'Stale through A' }, auth.a);
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('CONFLICT');
    // The same version sent to both at once: exactly one wins, every time.
    for (let version = 2; version < 8; version++) {
      const results = await Promise.all([
        rest(a.url, 'PATCH', path, { version, company: `A at ${version}` }, auth.a),
        rest(b.url, 'PATCH', path, { version, company: `B at ${version}` }, auth.b),
      ]);
      expect(results.map((r) => r.status).sort(), `version ${version}`).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!;
      for (const server of [a, b]) {
        const now = await rest(server.url, 'GET', path, undefined, server === a ? auth.a : auth.b);
        expect(now.body).toMatchObject({ version: version + 1, company: winner.body.company });
      }
    }
  });

  it('an API key revoked through one instance is refused by the other within a second', async () => {
    const auth = bearer(await adminToken(a));
    const created = await rest(a.url, 'POST', '/api-keys', { name: 'two instances', scopes: ['customers:read'] }, auth);
    expect(created.status).toBe(200);
    const key = bearer(created.body.secret);
    const list = (server: ServerProcess) => rest(server.url, 'GET', '/customers?limit=1', undefined, key);
    // B has seen the key live (and trusts that for at most a second).
    expect((await list(b)).status).toBe(200);
    expect((await rest(a.url, 'DELETE', `/api-keys/${created.body.apiKey.id}`, undefined, auth)).status).toBe(200);
    const revokedAt = Date.now();
    expect((await list(a)).status).toBe(401);
    while (Date.now() - revokedAt < 1000) {
      const r = await list(b);
      if (r.status === 401) break;
      expect(r.status).toBe(200);
      await sleep(25);
    }
    await sleep(Math.max(0, revokedAt + 1000 - Date.now()));
    const after = await list(b);
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('This API key was revoked');
  });

  it('one Idempotency-Key sent to both instances at once runs once', async () => {
    const token = await adminToken(a);
    for (let round = 0; round < 5; round++) {
      const body = newCustomer();
      const headers = { ...bearer(token), 'idempotency-key': `two-instances-${round}-${body.email}` };
      const answers = await Promise.all([a, b, a, b, a, b].map((server) => rest(server.url, 'POST', '/customers', body, headers)));
      const rows = await query<{ n: string }>(url, 'select count(*) as n from customers where email = $1', [body.email]);
      expect(Number(rows[0]!.n)).toBe(1);
      const ok = answers.filter((r) => r.status === 200);
      expect(ok.length + answers.filter((r) => r.status === 409).length).toBe(6);
      expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
      expect(new Set(ok.map((r) => JSON.stringify(r.body))).size).toBe(1);
      const events = await query<{ n: string }>(url, "select count(*) as n from events where type = 'customer.created' and customer_email = $1", [body.email]);
      expect(Number(events[0]!.n)).toBe(1);
    }
  });

  it("customers created through both instances are found by a typo search on either at once; the instances' indexers empty the queue", async () => {
    const auth = { a: bearer(await adminToken(a)), b: bearer(await adminToken(b)) };
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const server = i % 2 ? b : a;
        return rest(server.url, 'POST', '/customers', newCustomer({ lastName: 'Wexleyford' }), i % 2 ? auth.b : auth.a);
      }),
    );
    for (const r of created) expect(r.status).toBe(200);
    const emails = created.map((r) => r.body.email as string).sort();
    // Before, during and after the indexers' runs: the same 40, whichever instance answers.
    const found = async (server: ServerProcess, headers: Record<string, string>) => {
      const r = await rest(server.url, 'GET', '/customers/search?q=wexlyford&limit=100', undefined, headers);
      expect(r.status).toBe(200);
      return (r.body.items as { email: string }[]).map((c) => c.email).sort();
    };
    expect(await found(b, auth.b)).toEqual(emails);
    expect(await found(a, auth.a)).toEqual(emails);
    const deadline = Date.now() + 10_000;
    while (Number((await query<{ n: string }>(url, 'select count(*) as n from search_pending'))[0]!.n) > 0 && Date.now() < deadline) await sleep(100);
    expect(Number((await query<{ n: string }>(url, 'select count(*) as n from search_pending'))[0]!.n)).toBe(0);
    const word = await query<{ n: string }>(url, "select count(*) as n from search_words where word = 'wexleyford'");
    expect(Number(word[0]!.n)).toBe(1);
    expect(await found(a, auth.a)).toEqual(emails);
    expect(await found(b, auth.b)).toEqual(emails);
  });
});

describe.skipIf(!usingPostgres())(postgresOnly('instances starting at once on an empty PostgreSQL database (four in one process: the tightest race)'), () => {
  it.each([
    ['an empty database', false],
    ['a migrated database with no data yet (the seed and first-admin race alone)', true],
  ])(
    'migrate, seed and create the first admin exactly once, on %s',
    async (_, migrated) => {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
      const servers: TestServer[] = [];
      try {
        if (migrated) await (await openDatabase({ kind: 'postgresql', url: scratch.url })).close(true);
        const started = await Promise.allSettled([1, 2, 3, 4].map(() => startServer({ DATABASE_URL: scratch.url, SEED_SAMPLE_DATA: 'true' })));
        for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
        expect(started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
        await expectBootstrappedOnce(scratch.url);
      } finally {
        for (const s of servers) await s.close();
        await scratch.drop();
      }
    },
    60_000,
  );
});
