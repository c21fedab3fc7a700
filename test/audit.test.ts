import type { EntityManager } from '@mikro-orm/knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../server/auth/admin-bootstrap.js';
import { PasswordHasher } from '../server/auth/passwords.js';
import { CustomerEntity } from '../server/db/customer.entity.js';
import { WriteTransactions } from '../server/db/write-transaction.js';
import { searchKeys } from '../server/search/search-keys.js';
import { writeHooks } from '../server/write-hooks.js';
import { type AuditRow, auditRows, entriesOf, eventualEntryOf, onlyEntryOf } from './helpers/audit.js';
import { bearer, login, signupCustomer } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { resetToken, waitForMail } from './helpers/outbox.js';
import { customerPath, newCustomer, rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

const UA = 'CarlyAuditTest/1.0';
const from = { 'user-agent': UA };
const sessionOf = (refreshToken: string) => refreshToken.split('.')[0]!;

let server: TestServer;
let admin: Record<string, string>;
let adminId: string;
/** Every secret this file handles; no audit entry may hold any of them. */
const secrets = new Set<string>();
const remember = (...values: (string | undefined | null)[]) => values.forEach((v) => v && secrets.add(v));

beforeAll(async () => {
  server = await startServer();
  const tokens = await login(server, TEST_ADMIN.email, TEST_ADMIN.password);
  remember(TEST_ADMIN.password, tokens.accessToken, tokens.refreshToken);
  admin = bearer(tokens.accessToken);
  adminId = (await rest(server.url, 'GET', '/auth/me', undefined, admin)).body.user.id;
});
afterAll(() => server.close());

/** The entry's origin: the test's loopback address and user agent. */
const fromTest = (e: AuditRow) => {
  expect(e.ip).toBe('127.0.0.1');
  expect(e.userAgent).toBe(UA);
};

async function newAccount() {
  const user = await signupCustomer(server);
  remember(user.password, user.tokens.accessToken, user.tokens.refreshToken);
  const me = await rest(server.url, 'GET', '/auth/me', undefined, bearer(user.tokens.accessToken));
  return { ...user, id: me.body.user.id as string, customerId: me.body.customer.id as string };
}

describe('each act writes exactly one entry, with who, what, from where and the request id', () => {
  it('sign-up: the account and its customer record, acting as the new account', async () => {
    const body = { ...newCustomer({ phone: '+44 20 7946 0001' }), password: 'Sign-up-pass-4471' };
    remember(body.password);
    const r = await rest(server.url, 'POST', '/auth/signup', body, from);
    expect(r.status).toBe(200);
    remember(r.body.tokens.accessToken, r.body.tokens.refreshToken);
    const entries = await entriesOf(server, r);
    expect(entries.map((e) => e.action)).toEqual(['auth.signup', 'customer.created']);
    const [signup, created] = entries as [AuditRow, AuditRow];
    const actor = { actorType: 'user', actorId: r.body.user.id, actorEmail: body.email };
    expect(signup).toMatchObject({ ...actor, targetType: 'user', targetId: r.body.user.id, outcome: 'success', changes: null });
    expect(created).toMatchObject({ ...actor, targetType: 'customer', targetId: r.body.customer.id, outcome: 'success' });
    expect(created.changes).toEqual({
      email: [null, body.email],
      firstName: [null, body.firstName],
      lastName: [null, body.lastName],
      phone: [null, '+44 20 7946 0001'],
    });
    fromTest(signup);
    fromTest(created);
  });

  it('login, and a failed login on a known and on an unknown email (in its own transaction, nobody signed in)', async () => {
    const user = await newAccount();
    const ok = await rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password }, from);
    expect(ok.status).toBe(200);
    remember(ok.body.tokens.accessToken, ok.body.tokens.refreshToken);
    const entry = await onlyEntryOf(server, ok);
    expect(entry).toMatchObject({
      action: 'auth.login',
      outcome: 'success',
      actorType: 'user',
      actorId: user.id,
      actorEmail: user.email,
      targetType: 'user',
      targetId: user.id,
    });
    expect(entry.changes).toEqual({ session: [null, sessionOf(ok.body.tokens.refreshToken)] });
    fromTest(entry);

    const wrong = await rest(server.url, 'POST', '/auth/login', { email: user.email, password: 'not-the-password-1' }, from);
    expect(wrong.status).toBe(401);
    remember('not-the-password-1');
    const failed = await onlyEntryOf(server, wrong);
    expect(failed).toMatchObject({
      action: 'auth.login',
      outcome: 'failure',
      actorType: 'system',
      actorId: null,
      actorEmail: null,
      targetType: 'user',
      targetId: user.id,
      changes: null,
    });
    fromTest(failed);

    const unknown = `nobody.${Date.now()}@example.com`;
    const stranger = await rest(server.url, 'POST', '/auth/login', { email: unknown, password: 'whatever-pass-2' }, from);
    expect(stranger.status).toBe(401);
    remember('whatever-pass-2');
    expect(await onlyEntryOf(server, stranger)).toMatchObject({
      action: 'auth.login',
      outcome: 'failure',
      actorId: null,
      targetType: 'email',
      targetId: unknown,
    });
  });

  it('logout, session revocation and a spent refresh token presented again', async () => {
    const user = await newAccount();
    const second = await login(server, user.email, user.password);
    const third = await login(server, user.email, user.password);
    remember(second.accessToken, second.refreshToken, third.accessToken, third.refreshToken);

    const out = await rest(server.url, 'POST', '/auth/logout', undefined, { ...bearer(second.accessToken), ...from });
    expect(out.status).toBe(200);
    const logout = await onlyEntryOf(server, out);
    expect(logout).toMatchObject({ action: 'auth.logout', actorType: 'user', actorId: user.id, targetType: 'user', targetId: user.id });
    expect(logout.changes).toEqual({ session: [sessionOf(second.refreshToken), null] });
    fromTest(logout);

    const revoke = await rest(server.url, 'DELETE', `/auth/sessions/${sessionOf(third.refreshToken)}`, undefined, {
      ...bearer(user.tokens.accessToken),
      ...from,
    });
    expect(revoke.status).toBe(200);
    const revoked = await onlyEntryOf(server, revoke);
    expect(revoked).toMatchObject({ action: 'auth.session.revoked', actorId: user.id, targetId: user.id });
    expect(revoked.changes).toEqual({ session: [sessionOf(third.refreshToken), null] });

    // Revoking it again: 404, and nothing is written.
    const again = await rest(server.url, 'DELETE', `/auth/sessions/${sessionOf(third.refreshToken)}`, undefined, bearer(user.tokens.accessToken));
    expect(again.status).toBe(404);
    expect(await entriesOf(server, again)).toEqual([]);

    const rotated = await rest(server.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken });
    expect(rotated.status).toBe(200);
    remember(rotated.body.tokens.accessToken, rotated.body.tokens.refreshToken);
    expect(await entriesOf(server, rotated)).toEqual([]);
    const reused = await rest(server.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken }, from);
    expect(reused.status).toBe(401);
    const theft = await onlyEntryOf(server, reused);
    expect(theft).toMatchObject({ action: 'auth.refresh.reused', outcome: 'denied', actorId: null, targetType: 'user', targetId: user.id });
    expect(theft.changes).toEqual({ session: [sessionOf(user.tokens.refreshToken), null] });
  });

  it('password change, and a wrong current password', async () => {
    const user = await newAccount();
    const wrong = await rest(
      server.url,
      'POST',
      '/auth/password',
      { currentPassword: 'wrong-current-9', newPassword: 'Brand-new-pass-77' },
      bearer(user.tokens.accessToken),
    );
    expect(wrong.status).toBe(400);
    remember('wrong-current-9', 'Brand-new-pass-77');
    expect(await onlyEntryOf(server, wrong)).toMatchObject({
      action: 'auth.password.changed',
      outcome: 'failure',
      actorId: user.id,
      targetId: user.id,
      changes: null,
    });

    const changed = await rest(
      server.url,
      'POST',
      '/auth/password',
      { currentPassword: user.password, newPassword: 'Brand-new-pass-77' },
      { ...bearer(user.tokens.accessToken), ...from },
    );
    expect(changed.status).toBe(200);
    const entry = await onlyEntryOf(server, changed);
    expect(entry).toMatchObject({
      action: 'auth.password.changed',
      outcome: 'success',
      actorType: 'user',
      actorId: user.id,
      actorEmail: user.email,
      targetType: 'user',
      targetId: user.id,
    });
    expect(Object.keys(entry.changes!)).toEqual(['passwordChangedAt']);
    const [before, after] = entry.changes!.passwordChangedAt as [string, string];
    expect(new Date(after).getTime()).toBeGreaterThan(new Date(before).getTime());
    fromTest(entry);
  });

  it('password reset: requested (for an account, too soon again, and an unknown email) and completed', async () => {
    const user = await newAccount();
    const requested = await rest(server.url, 'POST', '/auth/reset', { email: user.email }, from);
    expect(requested.status).toBe(200);
    expect(await eventualEntryOf(server, requested)).toMatchObject({
      action: 'auth.password.resetRequested',
      outcome: 'success',
      actorId: null,
      targetType: 'user',
      targetId: user.id,
    });
    const token = resetToken(await waitForMail(server.dataDir, user.email));
    remember(token);

    const tooSoon = await rest(server.url, 'POST', '/auth/reset', { email: user.email });
    expect(await eventualEntryOf(server, tooSoon)).toMatchObject({ action: 'auth.password.resetRequested', outcome: 'denied', targetId: user.id });

    const unknown = `nobody.reset.${Date.now()}@example.com`;
    const nobody = await rest(server.url, 'POST', '/auth/reset', { email: unknown });
    expect(nobody.body).toEqual(requested.body);
    expect(await eventualEntryOf(server, nobody)).toMatchObject({
      action: 'auth.password.resetRequested',
      outcome: 'failure',
      targetType: 'email',
      targetId: unknown,
    });

    const confirmed = await rest(server.url, 'POST', '/auth/reset/confirm', { token, newPassword: 'Reset-new-pass-31' }, from);
    expect(confirmed.status).toBe(200);
    remember('Reset-new-pass-31');
    const entry = await onlyEntryOf(server, confirmed);
    expect(entry).toMatchObject({
      action: 'auth.password.reset',
      actorType: 'user',
      actorId: user.id,
      actorEmail: user.email,
      targetType: 'user',
      targetId: user.id,
    });
    expect(Object.keys(entry.changes!)).toEqual(['passwordChangedAt']);
    fromTest(entry);
  });

  it('API keys: created and revoked by the admin; a key acting is the actor (type apiKey, no email)', async () => {
    const created = await rest(server.url, 'POST', '/api-keys', { name: 'audit writer', scopes: ['customers:write', 'customers:read'] }, { ...admin, ...from });
    expect(created.status).toBe(200);
    const { apiKey, secret } = created.body as { apiKey: { id: string }; secret: string };
    remember(secret);
    expect(await onlyEntryOf(server, created)).toMatchObject({
      action: 'apiKey.created',
      actorType: 'user',
      actorId: adminId,
      actorEmail: TEST_ADMIN.email,
      targetType: 'apiKey',
      targetId: apiKey.id,
      changes: { name: [null, 'audit writer'], scopes: [null, ['customers:write', 'customers:read']] },
    });

    const customer = newCustomer();
    const byKey = await rest(server.url, 'POST', '/customers', customer, { ...bearer(secret), ...from });
    expect(byKey.status).toBe(200);
    const entry = await onlyEntryOf(server, byKey);
    expect(entry).toMatchObject({
      action: 'customer.created',
      actorType: 'apiKey',
      actorId: apiKey.id,
      actorEmail: null,
      targetType: 'customer',
      targetId: byKey.body.id,
    });
    fromTest(entry);

    const revoked = await rest(server.url, 'DELETE', `/api-keys/${apiKey.id}`, undefined, admin);
    expect(revoked.status).toBe(200);
    expect(await onlyEntryOf(server, revoked)).toMatchObject({ action: 'apiKey.revoked', actorId: adminId, targetId: apiKey.id });
  });

  it('the first admin, created at start from ADMIN_EMAIL, is audited as the system job that made it', async () => {
    const entries = await auditRows(server, "action like 'auth.admin.%'");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'auth.admin.created',
      actorType: 'system',
      actorId: 'admin-bootstrap',
      actorEmail: null,
      targetType: 'user',
      targetId: adminId,
      changes: { email: [null, TEST_ADMIN.email], role: [null, 'admin'] },
      requestId: null,
    });
  });

  it('promoting an account with create-admin is audited (role and password change, never the password)', async () => {
    const user = await newAccount();
    const outcome = await ensureAdmin(
      server.app.orm,
      new PasswordHasher(4, 1, 10),
      { now: () => new Date() },
      server.dataDir,
      { email: user.email, password: 'Promoted-pass-58' },
      true,
    );
    expect(outcome).toEqual({ action: 'promoted', email: user.email });
    remember('Promoted-pass-58');
    const [entry, ...more] = await auditRows(server, "action like 'auth.admin.%' and target_id = $1", [user.id]);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ action: 'auth.admin.promoted', actorType: 'system', actorId: 'create-admin', targetId: user.id });
    expect(Object.keys(entry!.changes!).sort()).toEqual(['passwordChangedAt', 'role']);
    expect(entry!.changes!.role).toEqual(['customer', 'admin']);
  });

  it('admin actions on customers: create, update (changed fields only, before and after), delete', async () => {
    const body = newCustomer({ company: 'Before Ltd' });
    const created = await rest(server.url, 'POST', '/customers', body, admin);
    expect(await onlyEntryOf(server, created)).toMatchObject({ action: 'customer.created', actorId: adminId, targetId: created.body.id });
    const updated = await rest(server.url, 'PATCH', customerPath(body.email), { company: 'After Ltd', firstName: body.firstName }, { ...admin, ...from });
    expect(updated.status).toBe(200);
    const entry = await onlyEntryOf(server, updated);
    expect(entry).toMatchObject({
      action: 'customer.updated',
      actorType: 'user',
      actorId: adminId,
      actorEmail: TEST_ADMIN.email,
      targetType: 'customer',
      targetId: created.body.id,
    });
    expect(entry.changes).toEqual({ company: ['Before Ltd', 'After Ltd'] });
    fromTest(entry);
    const deleted = await rest(server.url, 'DELETE', customerPath(body.email), undefined, admin);
    expect(await onlyEntryOf(server, deleted)).toMatchObject({ action: 'customer.deleted', actorId: adminId, targetId: created.body.id });
  });

  it('export and erase are audited', async () => {
    const user = await newAccount();
    const exported = await rest(server.url, 'GET', `${customerPath(user.email)}/export`, undefined, { ...bearer(user.tokens.accessToken), ...from });
    expect(exported.status).toBe(200);
    const entry = await onlyEntryOf(server, exported);
    expect(entry).toMatchObject({ action: 'customer.exported', actorId: user.id, actorEmail: user.email, targetType: 'customer', targetId: user.customerId });
    fromTest(entry);

    const erased = await rest(server.url, 'POST', `${customerPath(user.email)}/erase`, { confirm: user.email }, { ...admin, ...from });
    expect(erased.status).toBe(200);
    const erasure = await onlyEntryOf(server, erased);
    expect(erasure).toMatchObject({
      action: 'customer.erased',
      actorId: adminId,
      actorEmail: TEST_ADMIN.email,
      targetType: 'customer',
      targetId: user.customerId,
    });
    expect(erasure.changes!.pseudonym).toEqual([null, expect.stringMatching(/^[\w-]{12}$/)]);
    fromTest(erasure);
  });
});

describe('an act that does not commit leaves no entry', () => {
  it('a stale-version update (409) writes nothing', async () => {
    const body = newCustomer();
    expect((await rest(server.url, 'POST', '/customers', body, admin)).status).toBe(200);
    const stale = await rest(server.url, 'PATCH', customerPath(body.email), { company: 'Never', version: 7 }, admin);
    expect(stale.status).toBe(409);
    expect(await entriesOf(server, stale)).toEqual([]);
  });

  it('a change that fails after it wrote rolls its entry back with it', async () => {
    const before = (await auditRows(server)).length;
    const writes = new WriteTransactions(
      () => server.app.orm.em.fork() as EntityManager,
      { actor: { type: 'system', id: 'test' }, actorEmail: null, requestId: 'rollback-test', ip: null, userAgent: null },
      { clock: { now: () => new Date() }, hooks: writeHooks() },
    );
    const email = `rollback.${Date.now()}@example.com`;
    await expect(
      writes.run(async (em, log) => {
        const fields = { email, firstName: 'Roll', lastName: 'Back', phone: null, company: null, address: null, metadata: {} };
        em.create(CustomerEntity, {
          ...fields,
          ...searchKeys(fields),
          firstNameKey: 'roll',
          lastNameKey: 'back',
          publicId: `cus_rb${Date.now()}`,
          version: 1,
          createdAt: new Date(),
          updatedAt: new Date(),
        });
        await em.flush();
        log.audit({ action: 'customer.created', target: { type: 'customer', id: 'cus_rollback' } });
        throw new Error('fails after writing');
      }),
    ).rejects.toThrow('fails after writing');
    expect(await auditRows(server)).toHaveLength(before);
    expect(await sqlQuery(server.app.config.database, 'select id from customers where email = $1', [email])).toEqual([]);
  });
});

describe('GET /audit', () => {
  it('is for admins and keys with audit:read: a customer gets 403, a key without the scope 403 naming it', async () => {
    const user = await newAccount();
    const r = await rest(server.url, 'GET', '/audit', undefined, bearer(user.tokens.accessToken));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'reader', scopes: ['customers:read'] }, admin);
    remember(key.body.secret);
    const noScope = await rest(server.url, 'GET', '/audit', undefined, bearer(key.body.secret));
    expect(noScope.status).toBe(403);
    expect(noScope.body.message).toContain('audit:read');
    const auditor = await rest(server.url, 'POST', '/api-keys', { name: 'auditor', scopes: ['audit:read'] }, admin);
    remember(auditor.body.secret);
    const ok = await rest(server.url, 'GET', '/audit?limit=1', undefined, bearer(auditor.body.secret));
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(1);
    expect((await rest(server.url, 'GET', '/audit', undefined)).status).toBe(401);
  });

  it('answers newest first in the contract shape, pages with a cursor, and filters', async () => {
    const user = await newAccount();
    expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: 'bad-password-x' }, from)).status).toBe(401);
    remember('bad-password-x');
    const patched = await rest(server.url, 'PATCH', customerPath(user.email), { company: 'Filtered Ltd' }, { ...bearer(user.tokens.accessToken), ...from });
    expect(patched.status).toBe(200);

    const all = await rest(server.url, 'GET', `/audit?target=${user.customerId}`, undefined, admin);
    expect(all.status).toBe(200);
    expect(all.body.items.map((e: { action: string }) => e.action)).toEqual(['customer.updated', 'customer.created']);
    const updated = all.body.items[0];
    expect(updated).toEqual({
      id: expect.stringMatching(/^aud_\d+$/),
      at: expect.any(String),
      actor: { type: 'user', id: user.id, email: user.email },
      action: 'customer.updated',
      target: { type: 'customer', id: user.customerId },
      outcome: 'success',
      changes: { company: [null, 'Filtered Ltd'] },
      details: null,
      requestId: patched.headers.get('x-request-id'),
      ip: '127.0.0.1',
      userAgent: UA,
    });

    const mine = await rest(server.url, 'GET', `/audit?actor=${encodeURIComponent(user.email)}&action=auth.*`, undefined, admin);
    expect(mine.body.items.map((e: { action: string }) => e.action)).toEqual(['auth.signup']);
    const byId = await rest(server.url, 'GET', `/audit?actor=${user.id}`, undefined, admin);
    expect(byId.body.items.map((e: { action: string }) => e.action)).toEqual(['customer.updated', 'customer.created', 'auth.signup']);
    const failures = await rest(server.url, 'GET', `/audit?target=${user.id}&action=auth.login`, undefined, admin);
    expect(failures.body.items).toHaveLength(1);
    expect(failures.body.items[0]).toMatchObject({ outcome: 'failure', actor: { type: 'system', id: null, email: null } });

    // Pages of one, newest first, until the end.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await rest(
        server.url,
        'GET',
        `/audit?actor=${user.id}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        admin,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(byId.body.items.map((e: { id: string }) => e.id));

    // A time window: everything up to just before the update.
    const at = new Date(updated.at);
    const until = await rest(server.url, 'GET', `/audit?actor=${user.id}&until=${encodeURIComponent(at.toISOString())}`, undefined, admin);
    expect(until.body.items.map((e: { action: string }) => e.action)).not.toContain('customer.updated');
    const since = await rest(server.url, 'GET', `/audit?actor=${user.id}&since=${encodeURIComponent(at.toISOString())}`, undefined, admin);
    expect(since.body.items.map((e: { action: string }) => e.action)).toContain('customer.updated');
  });

  it('refuses bad queries with 400 and the bad field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['cursor=evt_12', 'cursor'],
      ['since=yesterday', 'since'],
      ['action=a%20b', 'action'],
    ] as const) {
      const r = await rest(server.url, 'GET', `/audit?${query}`, undefined, admin);
      expect(r.status, query).toBe(400);
      expect(
        r.body.issues.map((i: { path: string }) => i.path),
        query,
      ).toContain(field);
    }
  });

  it('has no route that edits or deletes an entry', async () => {
    const [entry] = await auditRows(server);
    for (const method of ['PATCH', 'PUT', 'DELETE']) {
      const r = await fetch(`${server.url}/audit/aud_${entry!.id}`, { method, headers: admin });
      expect(r.status, method).toBe(404);
    }
    expect(await auditRows(server, 'id = $1', [entry!.id])).toEqual([entry]);
  });
});

describe('GET /auth/activity', () => {
  it("shows a person their own security history, and nobody else's", async () => {
    const user = await newAccount();
    const other = await newAccount();
    expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: 'guess-one-1' })).status).toBe(401);
    remember('guess-one-1');
    const second = await login(server, user.email, user.password);
    remember(second.accessToken, second.refreshToken);
    expect((await rest(server.url, 'PATCH', customerPath(user.email), { company: 'Not security' }, bearer(user.tokens.accessToken))).status).toBe(200);

    const r = await rest(server.url, 'GET', '/auth/activity', undefined, bearer(second.accessToken));
    expect(r.status).toBe(200);
    const items = r.body.items as { action: string; outcome: string; actor: { id: string | null }; target: { id: string } }[];
    expect(items.map((e) => `${e.action}:${e.outcome}`)).toEqual(['auth.login:success', 'auth.login:failure', 'auth.signup:success']);
    expect(items.every((e) => e.actor.id === user.id || e.target.id === user.id)).toBe(true);
    const page = await rest(server.url, 'GET', '/auth/activity?limit=2', undefined, bearer(second.accessToken));
    expect(page.body.items).toHaveLength(2);
    const rest2 = await rest(server.url, 'GET', `/auth/activity?cursor=${page.body.nextCursor}`, undefined, bearer(second.accessToken));
    expect(rest2.body).toEqual({ items: [r.body.items[2]], nextCursor: null });

    const theirs = await rest(server.url, 'GET', '/auth/activity', undefined, bearer(other.tokens.accessToken));
    expect(theirs.body.items.map((e: { action: string }) => e.action)).toEqual(['auth.signup']);
  });
});

describe('no entry holds a password, hash, token, key or secret', () => {
  it('checks every entry against every secret this file used and every hash the database holds', async () => {
    const db = server.app.config.database;
    const hashes = [
      ...(await sqlQuery<{ h: string }>(db, 'select password_hash as h from users')),
      ...(await sqlQuery<{ h: string }>(db, 'select refresh_hash as h from sessions')),
      ...(await sqlQuery<{ h: string }>(db, 'select token_hash as h from password_reset_tokens')),
      ...(await sqlQuery<{ h: string }>(db, 'select secret_hash as h from api_keys')),
    ].map((r) => r.h);
    expect(hashes.length).toBeGreaterThan(10);
    expect(secrets.size).toBeGreaterThan(20);
    const entries = await sqlQuery<Record<string, unknown>>(db, 'select * from audit_entries');
    expect(entries.length).toBeGreaterThan(30);
    const text = entries.map((e) => JSON.stringify(e)).join('\n');
    for (const secret of [...secrets, ...hashes]) expect(text.includes(secret), `an audit entry holds ${secret.slice(0, 6)}…`).toBe(false);
  });
});
