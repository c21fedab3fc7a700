import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_SCOPES, grantsScope, type Scope } from '../client-sdk/src/schemas/api-keys.js';
import { VISIBLE_START } from '../server/api-keys/secret-format.js';
import { adminHeaders, bearer, signupCustomer } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { databaseText } from './helpers/database.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SECRET = /^carly_sk_[0-9A-Za-z]{36}$/;

async function createKey(server: TestServer, admin: Record<string, string>, scopes: readonly Scope[], extra: Record<string, unknown> = {}) {
  const r = await rest(server.url, 'POST', '/api-keys', { name: `key ${scopes.join(' ')}`, scopes, ...extra }, admin);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { apiKey: { id: string; start: string; scopes: Scope[] }; secret: string };
}

/** A key with the last checksum character changed: right shape, wrong checksum. */
const corrupt = (secret: string) => secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');

describe('a mistyped key is refused without a database lookup', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('401 for a bad checksum, and the database is not asked', async () => {
    const admin = await adminHeaders(server);
    const { secret } = await createKey(server, admin, ['customers:read']);
    // Background loops (audit chaining, webhook fan-out, housekeeping) also query now and then, so
    // a round that overlapped one is tried again; a lookup per bad key would show in every round.
    let before = 0;
    let quietRound = false;
    for (let round = 0; round < 5 && !quietRound; round++) {
      await sleep(200);
      before = server.app.queryCount();
      for (const bad of [corrupt(secret), `carly_sk_${'x'.repeat(36)}`, 'carly_sk_short']) {
        const r = await rest(server.url, 'GET', '/customers', undefined, bearer(bad));
        expect(r.status).toBe(401);
        expect(r.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid API key' });
      }
      quietRound = server.app.queryCount() === before;
    }
    expect(quietRound).toBe(true);
    // The counter does count: a well-formed key is looked up.
    const r = await rest(server.url, 'GET', '/customers', undefined, bearer(secret));
    expect(r.status).toBe(200);
    expect(server.app.queryCount()).toBeGreaterThan(before);
  });
});

describe('API keys', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  const clock = new TestClock();

  beforeAll(async () => {
    server = await startServer({}, { clock });
    admin = await adminHeaders(server);
  });
  afterAll(() => server.close());

  it('creates a key whose secret is shown once and never stored', async () => {
    const { apiKey, secret } = await createKey(server, admin, ['customers:read', 'events:read']);
    expect(secret).toMatch(SECRET);
    expect(apiKey).toMatchObject({ name: 'key customers:read events:read', scopes: ['customers:read', 'events:read'], start: secret.slice(0, VISIBLE_START) });
    expect(apiKey.id).toMatch(/^key_[0-9a-f]{24}$/);
    const list = await rest(server.url, 'GET', '/api-keys', undefined, admin);
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === apiKey.id);
    expect(listed).toMatchObject({ id: apiKey.id, start: apiKey.start, lastUsedAt: null, revokedAt: null, expiresAt: null });
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(VISIBLE_START));
    // No 8-character stretch of the secret beyond its visible start is anywhere in the database.
    const stored = await databaseText(server.app.config.database);
    const hidden = secret.slice(VISIBLE_START);
    for (let i = 0; i + 8 <= hidden.length; i++) expect(stored).not.toContain(hidden.slice(i, i + 8));
  });

  it('refuses bad input with 400 and creates nothing', async () => {
    const before = (await rest(server.url, 'GET', '/api-keys', undefined, admin)).body.items.length;
    const cases: [unknown, string][] = [
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['customers:delete'] }, 'scopes.0'],
      [{ name: 'x', scopes: ['customers:read', 'customers:read'] }, 'scopes'],
      [{ name: '', scopes: ['customers:read'] }, 'name'],
      [{ name: 'x', scopes: ['customers:read'], owner: 'me' }, 'owner'],
      [{ name: 'x', scopes: ['customers:read'], expiresAt: 'tomorrow' }, 'expiresAt'],
    ];
    for (const [body, field] of cases) {
      const r = await rest(server.url, 'POST', '/api-keys', body, admin);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
      expect(
        r.body.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    const past = await rest(server.url, 'POST', '/api-keys', { name: 'x', scopes: ['customers:read'], expiresAt: '2020-01-01T00:00:00Z' }, admin);
    expect(past.status).toBe(400);
    expect(past.body.message).toBe('expiresAt must be in the future');
    expect((await rest(server.url, 'GET', '/api-keys', undefined, admin)).body.items.length).toBe(before);
  });

  describe('scopes, on both wires', () => {
    const target = () => newCustomer();
    /** Every operation a key may call, the scope it needs, and a REST and a tRPC call of it. */
    const operations: {
      name: string;
      scope: Scope;
      rest: (email: string) => [string, string, unknown?];
      trpc: (c: ReturnType<TestServer['trpc']>, email: string) => Promise<unknown>;
    }[] = [
      { name: 'customers.list', scope: 'customers:read', rest: () => ['GET', '/customers'], trpc: (c) => c.customers.list.query({}) },
      { name: 'customers.get', scope: 'customers:read', rest: (e) => ['GET', customerPath(e)], trpc: (c, e) => c.customers.get.query({ email: e }) },
      { name: 'customers.create', scope: 'customers:write', rest: () => ['POST', '/customers', target()], trpc: (c) => c.customers.create.mutate(target()) },
      {
        name: 'customers.update',
        scope: 'customers:write',
        rest: (e) => ['PATCH', customerPath(e), { company: 'Keyed' }],
        trpc: (c, e) => c.customers.update.mutate({ email: e, company: 'Keyed' }),
      },
      { name: 'customers.delete', scope: 'customers:write', rest: (e) => ['DELETE', customerPath(e)], trpc: (c, e) => c.customers.delete.mutate({ email: e }) },
    ];
    const trpcCode = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'OK';
      } catch (err) {
        if (err instanceof TRPCClientError) return `${err.data?.code}: ${err.message}`;
        throw err;
      }
    };
    const freshCustomer = async () => (await rest(server.url, 'POST', '/customers', newCustomer(), admin)).body.email as string;

    for (const op of operations) {
      it(`${op.name}: 403 naming ${op.scope} without it, success with it`, async () => {
        // Every other scope, less those that imply this one (customers:write implies customers:read).
        const without = await createKey(
          server,
          admin,
          API_KEY_SCOPES.filter((s) => !grantsScope([s], op.scope)),
        );
        const withIt = await createKey(server, admin, [op.scope]);
        const [method, path, body] = op.rest(await freshCustomer());
        const refused = await rest(server.url, method, path, body, bearer(without.secret));
        expect(refused.status).toBe(403);
        expect(refused.body).toEqual({ code: 'FORBIDDEN', message: `This API key lacks the scope ${op.scope}` });
        expect(await trpcCode(op.trpc(server.trpc(without.secret), await freshCustomer()))).toBe(`FORBIDDEN: This API key lacks the scope ${op.scope}`);
        const [m2, p2, b2] = op.rest(await freshCustomer());
        expect((await rest(server.url, m2, p2, b2, bearer(withIt.secret))).status).toBe(200);
        expect(await trpcCode(op.trpc(server.trpc(withIt.secret), await freshCustomer()))).toBe('OK');
      });
    }

    it('no key may manage API keys or act as a person, whatever its scopes', async () => {
      const all = await createKey(server, admin, API_KEY_SCOPES);
      const key = bearer(all.secret);
      for (const [method, path, body] of [
        ['POST', '/api-keys', { name: 'escalate', scopes: ['customers:read'] }],
        ['GET', '/api-keys'],
        ['DELETE', `/api-keys/${all.apiKey.id}`],
        ['GET', '/auth/me'],
        ['GET', '/auth/sessions'],
      ] as [string, string, unknown?][]) {
        const r = await rest(server.url, method, path, body, key);
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.code).toBe('FORBIDDEN');
      }
      expect(await trpcCode(server.trpc(all.secret).apiKeys.list.query())).toMatch(/^FORBIDDEN: API keys cannot call this operation/);
    });

    it('a customer cannot create keys', async () => {
      const customer = await signupCustomer(server);
      const r = await rest(server.url, 'POST', '/api-keys', { name: 'mine', scopes: ['customers:read'] }, bearer(customer.tokens.accessToken));
      expect(r.status).toBe(403);
    });
  });

  it('revocation: 401 at once; revoking again keeps the first revocation; unknown id 404', async () => {
    const { apiKey, secret } = await createKey(server, admin, ['customers:read']);
    expect((await rest(server.url, 'GET', '/customers', undefined, bearer(secret))).status).toBe(200);
    const revoked = await rest(server.url, 'DELETE', `/api-keys/${apiKey.id}`, undefined, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const r = await rest(server.url, 'GET', '/customers', undefined, bearer(secret));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'UNAUTHORIZED', message: 'This API key was revoked' });
    const again = await rest(server.url, 'DELETE', `/api-keys/${apiKey.id}`, undefined, admin);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await rest(server.url, 'DELETE', '/api-keys/key_000000000000000000000000', undefined, admin)).status).toBe(404);
  });

  it('expiry: works until expiresAt, 401 after', async () => {
    const expiresAt = new Date(clock.now().getTime() + 3_600_000).toISOString();
    const { apiKey, secret } = await createKey(server, admin, ['customers:read'], { expiresAt });
    expect(apiKey).toMatchObject({ expiresAt });
    expect((await rest(server.url, 'GET', '/customers', undefined, bearer(secret))).status).toBe(200);
    clock.advance(3_600_000 + 1000);
    const r = await rest(server.url, 'GET', '/customers', undefined, bearer(secret));
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('This API key has expired');
  });

  it('lastUsedAt: written on first use, then at most once a minute', async () => {
    admin = await adminHeaders(server); // the clock moved past the last token's life
    const { apiKey, secret } = await createKey(server, admin, ['customers:read']);
    const lastUsed = async () =>
      (await rest(server.url, 'GET', '/api-keys', undefined, admin)).body.items.find((k: { id: string }) => k.id === apiKey.id).lastUsedAt as string | null;
    const waitFor = async (check: (v: string | null) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const v = await lastUsed();
        if (check(v)) return v;
        await sleep(20);
      }
      throw new Error('lastUsedAt never changed');
    };
    expect(await lastUsed()).toBeNull();
    await rest(server.url, 'GET', '/customers', undefined, bearer(secret));
    const first = await waitFor((v) => v !== null);
    for (let i = 0; i < 5; i++) await rest(server.url, 'GET', '/customers', undefined, bearer(secret));
    await sleep(200);
    expect(await lastUsed()).toBe(first);
    clock.advance(61_000);
    await rest(server.url, 'GET', '/customers', undefined, bearer(secret));
    const second = await waitFor((v) => v !== first);
    expect(new Date(second!).getTime() - new Date(first!).getTime()).toBeGreaterThanOrEqual(61_000);
  });
});
