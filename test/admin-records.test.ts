/**
 * Issue 23, items 1 and 2, on both wires:
 *   1. No API key (nor anyone through the API) removes or locks out an admin whose account is linked
 *      to a customer record (promoted from a customer): DELETE and erase of that record answer 403
 *      and change nothing.
 *   2. A customer record created with an admin's email does not reach the admin's account, sessions
 *      or audit trail: export and erase find entries by identity (account id, customer id), never by
 *      the actor's email text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../server/auth/admin-bootstrap.js';
import { PasswordHasher } from '../server/auth/passwords.js';
import { auditRows, verifyChain, waitForChain } from './helpers/audit.js';
import { adminHeaders, bearer, login, signupCustomer } from './helpers/auth.js';
import { createKey } from './helpers/events.js';
import { customerPath, rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: Record<string, string>;
beforeAll(async () => {
  server = await startServer();
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

const ADMIN_RECORD = 'This customer record belongs to an admin account; the API never deletes, erases or locks out an admin account';

/** A customer account (with its record) promoted to admin, as `npm run create-admin -- --email` does. */
async function promotedAdmin() {
  const user = await signupCustomer(server);
  const password = `Promoted-pass-${Date.now()}`;
  const outcome = await ensureAdmin(
    server.app.orm,
    new PasswordHasher(4, 1, 10),
    { now: () => new Date() },
    server.dataDir,
    { email: user.email, password },
    true,
  );
  expect(outcome).toEqual({ action: 'promoted', email: user.email });
  const tokens = await login(server, user.email, password);
  return { email: user.email, password, tokens, id: user.body.user.id as string };
}

const trpcCode = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (err: { data?: { code?: string }; message?: string }) => `${err.data?.code}: ${err.message}`,
  );

describe('an admin linked to a customer record (item 1)', () => {
  it('a customers:write key gets 403 for DELETE and erase on REST and tRPC; the admin keeps account, sessions and record', async () => {
    const promoted = await promotedAdmin();
    const key = await createKey(server.url, admin, ['customers:write']);
    const refusedDelete = await rest(server.url, 'DELETE', customerPath(promoted.email), undefined, bearer(key));
    expect(refusedDelete.status).toBe(403);
    expect(refusedDelete.body).toEqual({ code: 'FORBIDDEN', message: ADMIN_RECORD });
    const refusedErase = await rest(server.url, 'POST', `${customerPath(promoted.email)}/erase`, { confirm: promoted.email }, bearer(key));
    expect(refusedErase.status).toBe(403);
    expect(refusedErase.body).toEqual({ code: 'FORBIDDEN', message: ADMIN_RECORD });
    const client = server.trpc(key);
    expect(await trpcCode(client.customers.delete.mutate({ email: promoted.email }))).toBe(`FORBIDDEN: ${ADMIN_RECORD}`);
    expect(await trpcCode(client.customers.erase.mutate({ email: promoted.email, confirm: promoted.email }))).toBe(`FORBIDDEN: ${ADMIN_RECORD}`);

    // Nothing changed: the session still works, the admin signs in, the record is there.
    const me = await rest(server.url, 'GET', '/auth/me', undefined, bearer(promoted.tokens.accessToken));
    expect(me.status).toBe(200);
    expect(me.body.user.role).toBe('admin');
    await login(server, promoted.email, promoted.password);
    expect((await rest(server.url, 'GET', customerPath(promoted.email), undefined, admin)).status).toBe(200);
    expect(await auditRows(server, "action in ('customer.deleted', 'customer.erased') and target_id = $1", [me.body.customer.id])).toEqual([]);
  });

  it('the same for an admin acting through the API, and for the admin on its own record', async () => {
    const promoted = await promotedAdmin();
    for (const headers of [admin, bearer(promoted.tokens.accessToken)]) {
      expect((await rest(server.url, 'DELETE', customerPath(promoted.email), undefined, headers)).status).toBe(403);
      expect((await rest(server.url, 'POST', `${customerPath(promoted.email)}/erase`, { confirm: promoted.email }, headers)).status).toBe(403);
    }
    expect(await trpcCode(server.trpc(promoted.tokens.accessToken).customers.erase.mutate({ email: promoted.email, confirm: promoted.email }))).toBe(
      `FORBIDDEN: ${ADMIN_RECORD}`,
    );
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(promoted.tokens.accessToken))).status).toBe(200);
  });

  it('a customer record without an admin is still deleted by a customers:write key', async () => {
    const user = await signupCustomer(server);
    const key = await createKey(server.url, admin, ['customers:write']);
    expect((await rest(server.url, 'DELETE', customerPath(user.email), undefined, bearer(key))).status).toBe(200);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(user.tokens.accessToken))).status).toBe(401);
  });
});

describe("a record with an admin's email does not reach the admin (item 2)", () => {
  let adminId: string;
  beforeAll(async () => {
    const me = await rest(server.url, 'GET', '/auth/me', undefined, admin);
    adminId = me.body.user.id;
    // The admin leaves a trail: logins with an IP and user agent, a failed login, changes.
    await login(server, TEST_ADMIN.email, TEST_ADMIN.password);
    expect((await rest(server.url, 'POST', '/auth/login', { email: TEST_ADMIN.email, password: 'not-the-password-1' })).status).toBe(401);
    expect((await rest(server.url, 'POST', '/customers', { email: `someone.${Date.now()}@example.com`, firstName: 'S', lastName: 'O' }, admin)).status).toBe(
      200,
    );
    await waitForChain(server);
  });

  /** The admin's own entries (by it, or about its account): the ones the customer scopes must never reach. */
  const adminEntries = () => auditRows(server, 'actor_id = $1 or target_id = $2', [adminId, adminId]);

  it('export (REST and tRPC) holds none of the admin account, sessions or audit; erase leaves them as they were', async () => {
    const key = await createKey(server.url, admin, ['customers:read', 'customers:write']);
    const created = await rest(server.url, 'POST', '/customers', { email: TEST_ADMIN.email, firstName: 'Not', lastName: 'Admin' }, bearer(key));
    expect(created.status).toBe(200);
    const before = await adminEntries();
    expect(before.length).toBeGreaterThan(3);

    const exported = await rest(server.url, 'GET', `${customerPath(TEST_ADMIN.email)}/export`, undefined, bearer(key));
    expect(exported.status).toBe(200);
    const viaTrpc = await server.trpc(key).customers.export.query({ email: TEST_ADMIN.email });
    for (const doc of [exported.body, viaTrpc] as {
      account: unknown;
      sessions: unknown[];
      auditEntries: { actor: { id: string | null }; target: { id: string | null } | null; ip: string | null }[];
    }[]) {
      expect(doc.account).toBeNull();
      expect(doc.sessions).toEqual([]);
      expect(doc.auditEntries.length).toBeGreaterThan(0); // the record's own creation
      for (const e of doc.auditEntries) {
        expect(e.actor.id).not.toBe(adminId);
        expect(e.target?.id).not.toBe(adminId);
      }
      expect(JSON.stringify(doc.auditEntries)).not.toContain('not-the-password');
    }

    const erased = await rest(server.url, 'POST', `${customerPath(TEST_ADMIN.email)}/erase`, { confirm: TEST_ADMIN.email }, bearer(key));
    expect(erased.status).toBe(200);
    const after = await adminEntries();
    // Entries by the admin about someone else are untouched; the ones about the admin's own account too.
    expect(after.filter((e) => e.piiSalt === null)).toEqual([]);
    expect(after.map((e) => [e.id, e.actorEmail, e.ip, e.userAgent])).toEqual(before.map((e) => [e.id, e.actorEmail, e.ip, e.userAgent]));
    // The admin is untouched.
    await login(server, TEST_ADMIN.email, TEST_ADMIN.password);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, admin)).status).toBe(200);
    await waitForChain(server);
    expect(await verifyChain(server)).toMatchObject({ ok: true });
  });

  it('the same through tRPC: erase by key reaches only the record', async () => {
    const key = await createKey(server.url, admin, ['customers:read', 'customers:write']);
    const client = server.trpc(key);
    await client.customers.create.mutate({ email: TEST_ADMIN.email, firstName: 'Again', lastName: 'Not' });
    const before = await adminEntries();
    expect(await client.customers.erase.mutate({ email: TEST_ADMIN.email, confirm: TEST_ADMIN.email })).toMatchObject({ erased: true });
    const after = await adminEntries();
    expect(after.map((e) => [e.id, e.piiSalt, e.actorEmail, e.ip])).toEqual(before.map((e) => [e.id, e.piiSalt, e.actorEmail, e.ip]));
    await login(server, TEST_ADMIN.email, TEST_ADMIN.password);
  });
});
