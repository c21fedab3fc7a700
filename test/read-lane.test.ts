/**
 * The read lanes (server/db/read-lane.ts: SQLite's and PostgreSQL's) answer the hot reads with
 * the features' statements prepared once (customer-reads.ts, session-reads.ts, api-key-reads.ts) instead of MikroORM. They must give exactly the ORM path's
 * answers: for every case here — present, missing, deleted, revoked, expired — both are asked
 * and compared, on each database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyReads } from '../server/api-keys/api-key-reads.js';
import { hashSecret } from '../server/api-keys/secret-format.js';
import { SessionReads } from '../server/auth/session-reads.js';
import { toCustomer } from '../server/customers/customer.mapper.js';
import { CustomerReads } from '../server/customers/customer-reads.js';
import { ApiKeyEntity } from '../server/db/api-key.entity.js';
import { CustomerEntity } from '../server/db/customer.entity.js';
import { openReadLane } from '../server/db/open-read-lane.js';
import type { ReadLane } from '../server/db/read-lane.js';
import { SessionEntity } from '../server/db/session.entity.js';
import { adminHeaders, bearer, login, signupCustomer } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

describe(`the read lane answers what the ORM answers (${process.env.CARLY_TEST_DIALECT})`, () => {
  let server: TestServer;
  let lane: ReadLane;
  let reads: { customer: CustomerReads['customer']; session: SessionReads['session']; apiKey: ApiKeyReads['apiKey'] };
  let admin: Record<string, string>;

  beforeAll(async () => {
    server = await startServer();
    admin = await adminHeaders(server);
    lane = await openReadLane(server.app.config.database);
    const [customers, sessions, apiKeys] = [new CustomerReads(lane), new SessionReads(lane), new ApiKeyReads(lane)];
    reads = { customer: (email) => customers.customer(email), session: (...args) => sessions.session(...args), apiKey: (hash) => apiKeys.apiKey(hash) };
  });
  afterAll(async () => {
    await lane.close();
    await server.close();
  });

  const em = () => server.app.orm.em.fork();

  it('customers: present (every field kind), missing, deleted, updated', async () => {
    const full = (
      await rest(
        server.url,
        'POST',
        '/customers',
        newCustomer({ phone: '+1 555 0100', company: 'Ünïcode Ltd', address: { line1: '1 Way', city: 'Oslo', country: 'no' }, metadata: { a: '1', b: 'é' } }),
        admin,
      )
    ).body;
    const bare = (await rest(server.url, 'POST', '/customers', newCustomer(), admin)).body;
    const gone = (await rest(server.url, 'POST', '/customers', newCustomer(), admin)).body;
    await rest(server.url, 'PATCH', customerPath(bare.email), { company: 'Later' }, admin);
    await rest(server.url, 'DELETE', customerPath(gone.email), undefined, admin);
    for (const email of [full.email, bare.email, gone.email, 'nobody@example.com', full.email.toUpperCase()]) {
      const viaOrm = await em().findOne(CustomerEntity, { email });
      expect(await reads.customer(email), email).toEqual(viaOrm ? toCustomer(viaOrm) : null);
    }
  });

  it('sessions: live, logged out, expired, another user, unknown', async () => {
    const alice = await signupCustomer(server);
    const bob = await signupCustomer(server);
    const ended = await login(server, alice.email, alice.password);
    await rest(server.url, 'POST', '/auth/logout', undefined, bearer(ended.accessToken));
    const sessions = await em().find(SessionEntity, {}, { populate: ['user'] });
    const now = new Date();
    const later = new Date(now.getTime() + 400 * 86_400_000);
    const cases = sessions.flatMap((s) => [
      [s.id, s.user.id, now],
      [s.id, s.user.id, later],
      [s.id, s.user.id === bob.body.user.id ? alice.body.user.id : bob.body.user.id, now],
    ]) as [string, string, Date][];
    cases.push(['00000000-0000-0000-0000-000000000000', alice.body.user.id, now]);
    let live = 0;
    for (const [id, userId, at] of cases) {
      const s = await em().findOne(SessionEntity, { id, user: userId, revokedAt: null, expiresAt: { $gt: at } }, { populate: ['user'] });
      const viaOrm = s ? { email: s.user.email, role: s.user.role, hasCustomer: s.user.customer !== null, lastUsedAt: s.lastUsedAt } : null;
      expect(await reads.session(id, userId, at), `${id} ${userId} ${at.toISOString()}`).toEqual(viaOrm);
      if (viaOrm) live++;
    }
    // The cases cover both answers.
    expect(live).toBeGreaterThan(0);
    expect(live).toBeLessThan(cases.length);
  });

  it('API keys: live, revoked, expiring, never used, unknown', async () => {
    const make = async (extra: Record<string, unknown> = {}) =>
      (await rest(server.url, 'POST', '/api-keys', { name: 'lane', scopes: ['customers:read', 'audit:read'], ...extra }, admin)).body;
    const used = await make();
    await rest(server.url, 'GET', '/customers', undefined, bearer(used.secret));
    const revoked = await make();
    await rest(server.url, 'DELETE', `/api-keys/${revoked.apiKey.id}`, undefined, admin);
    const expiring = await make({ expiresAt: '2099-01-01T00:00:00Z' });
    for (const secret of [used.secret, revoked.secret, expiring.secret, `carly_sk_${'0'.repeat(36)}`]) {
      const k = await em().findOne(ApiKeyEntity, { secretHash: hashSecret(secret) });
      const viaOrm = k ? { id: k.id, name: k.name, scopes: k.scopes, expiresAt: k.expiresAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt } : null;
      expect(await reads.apiKey(hashSecret(secret))).toEqual(viaOrm);
    }
  });
});
