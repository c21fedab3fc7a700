/**
 * Claiming an existing customer record needs proof of the address (issue 14, item 4): a signup
 * with the email of a record that has no account gets an account with no customer, and a
 * verification mail; POST /auth/verify (auth.verifyEmail) with its single-use, hashed, 24-hour
 * token links the record. Until then the account cannot read or change the record.
 */
import { createHash } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, bearer, login } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { mailsTo, type OutboxMail, resetToken, waitForMail } from './helpers/outbox.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

const PUBLIC_URL = 'https://carly.example.test';
const HOUR = 3_600_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function verifyToken(mail: OutboxMail): string {
  const m = mail.text.match(/https?:\/\/\S+\/verify\?token=(\S+)/);
  if (!m) throw new Error(`no verify link in ${mail.file}:\n${mail.text}`);
  const link = new URL(m[0]);
  expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_URL}/verify`);
  return link.searchParams.get('token')!;
}

async function trpcError(p: Promise<unknown>): Promise<{ code: string; httpStatus: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCClientError) return { code: err.data.code, httpStatus: err.data.httpStatus, message: err.message };
    throw err;
  }
  throw new Error('expected the call to fail');
}

let server: TestServer;
const clock = new TestClock();
beforeAll(async () => {
  server = await startServer({ PUBLIC_URL }, { clock });
});
afterAll(() => server.close());

/** A customer record an admin created (as an import would), with data worth protecting. */
async function existingRecord() {
  const record = newCustomer({ phone: '+44 20 7946 0958', company: 'Analytical Engines', metadata: { tier: 'gold', note: 'private' } });
  const created = await rest(server.url, 'POST', '/customers', record, await adminHeaders(server));
  expect(created.status).toBe(200);
  return created.body as Record<string, unknown> & { email: string };
}

// A fresh admin token each time: one test moves the clock a day forward.
const readRecord = async (email: string) => (await rest(server.url, 'GET', customerPath(email), undefined, await adminHeaders(server))).body;

describe('claiming a record over REST', () => {
  it('signs up with no customer, mails a link, refuses the record until POST /auth/verify links it unchanged', async () => {
    const record = await existingRecord();
    const password = 'Claimer-sturdy-pass-1';
    const signup = await rest(server.url, 'POST', '/auth/signup', {
      email: record.email.toUpperCase(),
      password,
      firstName: 'Mallory',
      lastName: 'Other',
      phone: '+1 555 0100',
      metadata: { tier: 'platinum' },
    });
    expect(signup.status, JSON.stringify(signup.body)).toBe(200);
    expect(signup.body.customer).toBeNull();
    expect(signup.body.user).toMatchObject({ email: record.email, role: 'customer' });
    const auth = bearer(signup.body.tokens.accessToken);

    // Until verified: no record through any route, and the record is as the admin left it.
    expect((await rest(server.url, 'GET', '/auth/me', undefined, auth)).body).toEqual({ user: signup.body.user, customer: null });
    const get = await rest(server.url, 'GET', customerPath(record.email), undefined, auth);
    expect(get.status).toBe(403);
    expect(get.body.code).toBe('FORBIDDEN');
    expect(get.body.message).toMatch(/confirm your email address/i);
    expect((await rest(server.url, 'PATCH', customerPath(record.email), { firstName: 'Stolen' }, auth)).status).toBe(403);
    expect(await readRecord(record.email)).toEqual(record);

    // The account itself works: it signs in.
    await login(server, record.email, password);

    // The mail: a single-use token, stored only as its SHA-256.
    const mail = await waitForMail(server.dataDir, record.email);
    expect(mail.subject).toMatch(/confirm/i);
    const token = verifyToken(mail);
    expect(token.length).toBeGreaterThanOrEqual(40);
    const rows = (await server.app.orm.em.fork().getConnection().execute('select token_hash from email_verification_tokens')) as { token_hash: string }[];
    expect(rows.map((r) => r.token_hash)).toContain(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);

    // Forged and malformed tokens: 400, nothing linked.
    for (const body of [{ token: 'forged-token-0123456789abcdef' }, { token: token.slice(0, -2) }, { token: '' }, {}, { token, extra: 1 }]) {
      const r = await rest(server.url, 'POST', '/auth/verify', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
    }
    expect((await rest(server.url, 'GET', customerPath(record.email), undefined, auth)).status).toBe(403);

    const verified = await rest(server.url, 'POST', '/auth/verify', { token });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toEqual({ user: signup.body.user, customer: record });
    // Linked at once, for the session already open; the record is exactly as it was.
    const own = await rest(server.url, 'GET', customerPath(record.email), undefined, auth);
    expect(own.status).toBe(200);
    expect(own.body).toEqual(record);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, auth)).body.customer).toEqual(record);

    // Spent.
    const again = await rest(server.url, 'POST', '/auth/verify', { token });
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/invalid, used or expired/i);
    expect(await readRecord(record.email)).toEqual(record);
  });

  it('refuses an expired token (24 hours) and leaves the record unclaimed', async () => {
    const record = await existingRecord();
    const signup = await rest(server.url, 'POST', '/auth/signup', { email: record.email, password: 'Claimer-sturdy-pass-2', firstName: 'A', lastName: 'B' });
    expect(signup.status).toBe(200);
    const token = verifyToken(await waitForMail(server.dataDir, record.email));
    clock.advance(24 * HOUR + 60_000);
    const r = await rest(server.url, 'POST', '/auth/verify', { token });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
    const relogin = await login(server, record.email, 'Claimer-sturdy-pass-2');
    expect((await rest(server.url, 'GET', customerPath(record.email), undefined, bearer(relogin.accessToken))).status).toBe(403);
    expect(await readRecord(record.email)).toEqual(record);
  });

  it('a signup with a new email creates its record at once and mails nothing', async () => {
    const fresh = newCustomer();
    const r = await rest(server.url, 'POST', '/auth/signup', { ...fresh, password: 'Fresh-sturdy-pass-1' });
    expect(r.status).toBe(200);
    expect(r.body.customer).toMatchObject({ email: fresh.email, firstName: fresh.firstName, version: 1 });
    expect((await rest(server.url, 'GET', customerPath(fresh.email), undefined, bearer(r.body.tokens.accessToken))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mailsTo(server.dataDir, fresh.email)).toEqual([]);
  });

  it('a password reset through the mailed link proves the address too, and links the record', async () => {
    const record = await existingRecord();
    expect(
      (await rest(server.url, 'POST', '/auth/signup', { email: record.email, password: 'Claimer-sturdy-pass-3', firstName: 'A', lastName: 'B' })).status,
    ).toBe(200);
    const verifyMail = await waitForMail(server.dataDir, record.email);
    expect((await rest(server.url, 'POST', '/auth/reset', { email: record.email })).status).toBe(200);
    const resetMail = await waitForMail(server.dataDir, record.email, 2);
    expect((await rest(server.url, 'POST', '/auth/reset/confirm', { token: resetToken(resetMail), newPassword: 'Reset-sturdy-pass-3' })).status).toBe(200);
    const tokens = await login(server, record.email, 'Reset-sturdy-pass-3');
    const own = await rest(server.url, 'GET', customerPath(record.email), undefined, bearer(tokens.accessToken));
    expect(own.status).toBe(200);
    expect(own.body).toEqual(record);
    // The verification link is spent with it.
    expect((await rest(server.url, 'POST', '/auth/verify', { token: verifyToken(verifyMail) })).status).toBe(400);
  });

  it('answers customer null when the record was deleted before the address was confirmed', async () => {
    const record = await existingRecord();
    const signup = await rest(server.url, 'POST', '/auth/signup', { email: record.email, password: 'Claimer-sturdy-pass-4', firstName: 'A', lastName: 'B' });
    expect(signup.status).toBe(200);
    const token = verifyToken(await waitForMail(server.dataDir, record.email));
    expect((await rest(server.url, 'DELETE', customerPath(record.email), undefined, await adminHeaders(server))).status).toBe(200);
    const r = await rest(server.url, 'POST', '/auth/verify', { token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ user: signup.body.user, customer: null });
  });
});

describe('claiming a record over tRPC', () => {
  it('the same rules: customer null, FORBIDDEN until auth.verifyEmail, BAD_REQUEST for a spent or forged token', async () => {
    const record = await existingRecord();
    const anon = server.trpc();
    const signup = await anon.auth.signup.mutate({ email: record.email, password: 'Claimer-sturdy-pass-5', firstName: 'T', lastName: 'R' });
    expect(signup.customer).toBeNull();
    const me = server.trpc(signup.tokens.accessToken);
    expect((await me.auth.me.query()).customer).toBeNull();
    expect(await trpcError(me.customers.get.query({ email: record.email }))).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    expect(await trpcError(me.customers.update.mutate({ email: record.email, firstName: 'Stolen' }))).toMatchObject({ code: 'FORBIDDEN' });

    const token = verifyToken(await waitForMail(server.dataDir, record.email));
    expect(await trpcError(anon.auth.verifyEmail.mutate({ token: `${token}x` }))).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    const verified = await anon.auth.verifyEmail.mutate({ token });
    expect(verified.user.email).toBe(record.email);
    expect(verified.customer?.email).toBe(record.email);
    expect(verified.customer?.createdAt).toBeInstanceOf(Date);
    expect(verified.customer?.metadata).toEqual(record.metadata);
    expect((await me.customers.get.query({ email: record.email })).phone).toBe(record.phone);
    expect(await trpcError(anon.auth.verifyEmail.mutate({ token }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await readRecord(record.email)).toEqual(record);
  });
});
