import { createHash } from 'node:crypto';
import { TRPCClientError } from '@trpc/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../server/clock.js';
import { bearer, signupCustomer, type Tokens } from './helpers/auth.js';
import { mailsTo, readOutbox, resetLink, resetToken, waitForMail } from './helpers/outbox.js';
import { rest, startServer, type TestServer } from './helpers/server.js';

const PUBLIC_URL = 'https://carly.example.test/app';
const MINUTE = 60_000;

/** The app's clock, moved forward by the test (token expiry, once-a-minute mail, throttles). */
function movableClock(): Clock & { advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A fresh server per test: the reset limits (5 per account, 20 per address) are per database. */
async function serve(clock?: Clock): Promise<TestServer> {
  const server = await startServer({ PUBLIC_URL }, clock ? { clock } : {});
  servers.push(server);
  return server;
}

const requestReset = (s: TestServer, email: string) => rest(s.url, 'POST', '/auth/reset', { email });
const confirmReset = (s: TestServer, token: string, newPassword: string) => rest(s.url, 'POST', '/auth/reset/confirm', { token, newPassword });
const loginStatus = async (s: TestServer, email: string, password: string) => (await rest(s.url, 'POST', '/auth/login', { email, password })).status;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Gives a mail sent in the background (after the answer) time to land, so its absence means something. */
async function settle(server: TestServer, sentinelEmail: string, sentinelCount: number) {
  // The sentinel's mail was asked for after the one under test; once it is written, the other would be too.
  await waitForMail(server.dataDir, sentinelEmail, sentinelCount);
  await new Promise((r) => setTimeout(r, 200));
}

async function trpcStatus(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof TRPCClientError) return (err.data as { httpStatus: number }).httpStatus;
    throw err;
  }
}

describe('password reset (REST)', () => {
  it('answers the same for a known and an unknown email, and mails only the known one', async () => {
    const server = await serve();
    const known = await signupCustomer(server);
    const unknown = `nobody.${Date.now()}@example.com`;
    const a = await requestReset(server, known.email);
    const b = await requestReset(server, unknown);
    expect(a.status).toBe(200);
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
    expect(a.body).toEqual({ ok: true, message: expect.any(String) });
    expect(a.body.message).not.toMatch(new RegExp(known.email.replace(/[.+]/g, '\\$&'), 'i'));
    expect(b.headers.get('content-type')).toBe(a.headers.get('content-type'));

    const mail = await waitForMail(server.dataDir, known.email);
    expect(mail.file.startsWith(`${server.dataDir}/outbox/`)).toBe(true);
    expect(mail.file).toMatch(/\.eml$/);
    expect(mail.subject).toMatch(/reset/i);
    const link = resetLink(mail);
    expect(`${link.origin}${link.pathname}`).toBe(`${PUBLIC_URL}/reset`);
    expect(resetToken(mail).length).toBeGreaterThanOrEqual(40); // 32 random bytes, base64url
    await new Promise((r) => setTimeout(r, 200));
    expect(readOutbox(server.dataDir).map((m) => m.to)).toEqual([known.email]);
  });

  it('does the same work for a known and an unknown email before answering: the lookup, token and mail come after', async () => {
    const server = await serve();
    const known = await signupCustomer(server);
    const conn = server.app.orm.em.getConnection();
    const postgres = server.app.config.database.kind === 'postgresql';
    // Make the token store fail. A known email used to write its token before answering (and so
    // answered 500 here, or just later than an unknown one); both now answer before that work.
    if (postgres) {
      await conn.execute(`create or replace function refuse_reset() returns trigger as $$ begin raise exception 'forced failure'; end $$ language plpgsql`);
      await conn.execute('create trigger refuse_reset before insert on password_reset_tokens for each row execute function refuse_reset()');
    } else {
      await conn.execute(`create trigger refuse_reset before insert on password_reset_tokens begin select raise(abort, 'forced failure'); end`);
    }
    const a = await requestReset(server, known.email);
    const b = await requestReset(server, `nobody.${Date.now()}@example.com`);
    expect(a.status).toBe(200);
    expect({ status: b.status, body: b.body, type: b.headers.get('content-type') }).toEqual({
      status: a.status,
      body: a.body,
      type: a.headers.get('content-type'),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo(server.dataDir, known.email)).toEqual([]);

    await conn.execute(postgres ? 'drop trigger refuse_reset on password_reset_tokens' : 'drop trigger refuse_reset');
    expect((await requestReset(server, known.email)).body).toEqual(a.body);
    const mail = await waitForMail(server.dataDir, known.email);
    expect((await confirmReset(server, resetToken(mail), 'After-the-failure-1')).status).toBe(200);
    expect(await loginStatus(server, known.email, 'After-the-failure-1')).toBe(200);
  });

  it('confirm sets the password, ends every session at once, and spends the token', async () => {
    const server = await serve();
    const user = await signupCustomer(server);
    const second = (await rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password })).body.tokens as Tokens;
    const sessions: Tokens[] = [user.tokens, second];
    // Each access token is in use (and so in the live-session cache) before the reset.
    for (const t of sessions) expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(t.accessToken))).status).toBe(200);

    expect((await requestReset(server, user.email)).status).toBe(200);
    const token = resetToken(await waitForMail(server.dataDir, user.email));
    const newPassword = `Brand-new-pass-${Date.now()}`;
    const confirmed = await confirmReset(server, token, newPassword);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body).toEqual({ ok: true });

    for (const t of sessions) {
      expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(t.accessToken))).status).toBe(401);
      expect((await rest(server.url, 'POST', '/auth/refresh', { refreshToken: t.refreshToken })).status).toBe(401);
    }
    expect(await loginStatus(server, user.email, user.password)).toBe(401);
    const fresh = await rest(server.url, 'POST', '/auth/login', { email: user.email, password: newPassword });
    expect(fresh.status).toBe(200);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(fresh.body.tokens.accessToken))).body.user.email).toBe(user.email);

    // Single use: the same token again is refused and changes nothing.
    const again = await confirmReset(server, token, `Another-pass-${Date.now()}`);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('BAD_REQUEST');
    expect(await loginStatus(server, user.email, newPassword)).toBe(200);
    // The session opened after the reset is not touched by the refused second confirm.
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(fresh.body.tokens.accessToken))).status).toBe(200);
  });

  it('refuses an unknown token with 400', async () => {
    const server = await serve();
    const r = await confirmReset(server, 'not-a-token-we-ever-issued', 'Perfectly-fine-pass-1');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
  });

  it('a token is valid for 30 minutes, not longer', async () => {
    const clock = movableClock();
    const server = await serve(clock);
    const early = await signupCustomer(server);
    const late = await signupCustomer(server);
    expect((await requestReset(server, early.email)).status).toBe(200);
    expect((await requestReset(server, late.email)).status).toBe(200);
    const earlyToken = resetToken(await waitForMail(server.dataDir, early.email));
    const lateToken = resetToken(await waitForMail(server.dataDir, late.email));

    clock.advance(29 * MINUTE);
    expect((await confirmReset(server, earlyToken, 'Within-the-window-1')).status).toBe(200);
    clock.advance(2 * MINUTE);
    const expired = await confirmReset(server, lateToken, 'Past-the-window-22');
    expect(expired.status).toBe(400);
    expect(expired.body.code).toBe('BAD_REQUEST');
    expect(await loginStatus(server, late.email, late.password)).toBe(200);
    expect(await loginStatus(server, late.email, 'Past-the-window-22')).toBe(401);
  });

  it('sends at most one mail per account per minute; a newer mail retires the older token', async () => {
    const clock = movableClock();
    const server = await serve(clock);
    const user = await signupCustomer(server);
    const sentinel = await signupCustomer(server);
    expect((await requestReset(server, user.email)).status).toBe(200);
    const first = await waitForMail(server.dataDir, user.email);

    clock.advance(59_000);
    const within = await requestReset(server, user.email);
    expect(within.status).toBe(200);
    expect((await requestReset(server, sentinel.email)).status).toBe(200);
    await settle(server, sentinel.email, 1);
    expect(mailsTo(server.dataDir, user.email)).toHaveLength(1);

    clock.advance(2_000); // 61 s after the first mail
    expect((await requestReset(server, user.email)).status).toBe(200);
    const second = await waitForMail(server.dataDir, user.email, 2);
    expect(second.file).not.toBe(first.file);
    expect(resetToken(second)).not.toBe(resetToken(first));

    // Only the latest mail works.
    expect((await confirmReset(server, resetToken(first), 'Older-link-pass-1')).status).toBe(400);
    expect((await confirmReset(server, resetToken(second), 'Newer-link-pass-1')).status).toBe(200);
    expect(await loginStatus(server, user.email, 'Newer-link-pass-1')).toBe(200);
  });

  it('throttles requests per email (5 per 15 minutes) with 429 and Retry-After, known or not', async () => {
    const clock = movableClock();
    const server = await serve(clock);
    const known = await signupCustomer(server);
    const unknown = `ghost.${Date.now()}@example.com`;
    for (const email of [known.email, unknown]) {
      for (let i = 0; i < 5; i++) expect((await requestReset(server, email)).status, `request ${i + 1} for ${email}`).toBe(200);
    }
    const refusedKnown = await requestReset(server, known.email);
    const refusedUnknown = await requestReset(server, unknown);
    for (const r of [refusedKnown, refusedUnknown]) {
      expect(r.status).toBe(429);
      expect(r.body.code).toBe('TOO_MANY_REQUESTS');
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    }
    // The same refusal for both: no enumeration through the limit either.
    expect(refusedUnknown.body).toEqual(refusedKnown.body);
    // Per email: another address is not limited by these (the per-address limit is 20).
    expect((await requestReset(server, `other.${Date.now()}@example.com`)).status).toBe(200);
    // Case and spaces do not make a new key.
    expect((await requestReset(server, `  ${known.email.toUpperCase()} `)).status).toBe(429);

    clock.advance(15 * MINUTE + 1_000);
    expect((await requestReset(server, known.email)).status).toBe(200);
    expect((await requestReset(server, unknown)).status).toBe(200);
  });

  it('stores the token only as its hash', async () => {
    const server = await serve();
    const user = await signupCustomer(server);
    expect((await requestReset(server, user.email)).status).toBe(200);
    const mail = await waitForMail(server.dataDir, user.email);
    const token = resetToken(mail);
    expect(mail.text).toContain(token);

    const rows = (await server.app.orm.em.getConnection().execute('select * from password_reset_tokens')) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(encodeURIComponent(token));
    expect(rows[0]!.token_hash).toBe(sha256(token));
    expect(rows[0]!.used_at).toBeNull();

    expect((await confirmReset(server, token, 'Hashed-at-rest-pass-1')).status).toBe(200);
    const after = (await server.app.orm.em.getConnection().execute('select * from password_reset_tokens')) as Record<string, unknown>[];
    expect(JSON.stringify(after)).not.toContain(token);
    expect(after[0]!.used_at).not.toBeNull();
  });

  it('holds the new password to the rules at confirm; a refusal spends nothing and changes nothing', async () => {
    const server = await serve();
    const user = await signupCustomer(server);
    expect((await requestReset(server, user.email)).status).toBe(200);
    const token = resetToken(await waitForMail(server.dataDir, user.email));

    const common = await confirmReset(server, token, 'iloveyou');
    expect(common.status).toBe(400);
    expect(common.body.message).toMatch(/common/i);
    const tooLong = 'é'.repeat(37); // 37 characters, 74 bytes of UTF-8
    const long = await confirmReset(server, token, tooLong);
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toMatch(/72/);
    const short = await confirmReset(server, token, 'Short7!');
    expect(short.status).toBe(400);

    // Nothing changed: the old password works, the refused ones do not, sessions live on.
    expect(await loginStatus(server, user.email, user.password)).toBe(200);
    expect(await loginStatus(server, user.email, tooLong)).toBe(401);
    expect(await loginStatus(server, user.email, 'é'.repeat(36))).toBe(401);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(user.tokens.accessToken))).status).toBe(200);

    // The token was not spent by the refusals; exactly 72 bytes is accepted.
    const max = 'é'.repeat(36);
    expect((await confirmReset(server, token, max)).status).toBe(200);
    expect(await loginStatus(server, user.email, max)).toBe(200);
    expect(await loginStatus(server, user.email, user.password)).toBe(401);
  });

  it('clears the failed-login limit of the account it resets', async () => {
    const server = await serve();
    const user = await signupCustomer(server);
    for (let i = 0; i < 10; i++) expect(await loginStatus(server, user.email, `wrong-guess-${i}-xyz`)).toBe(401);
    expect(await loginStatus(server, user.email, user.password)).toBe(429);
    expect((await requestReset(server, user.email)).status).toBe(200);
    const token = resetToken(await waitForMail(server.dataDir, user.email));
    expect((await confirmReset(server, token, 'After-lockout-pass-1')).status).toBe(200);
    expect(await loginStatus(server, user.email, 'After-lockout-pass-1')).toBe(200);
  });

  // bcrypt reads only the first 72 bytes: PasswordHasher.verify must refuse longer passwords itself.
  it('does not accept a longer password that merely starts with a 72-byte one', async () => {
    const server = await serve();
    const user = await signupCustomer(server);
    expect((await requestReset(server, user.email)).status).toBe(200);
    const token = resetToken(await waitForMail(server.dataDir, user.email));
    const max = 'b'.repeat(36) + 'é'.repeat(18); // 72 bytes
    expect((await confirmReset(server, token, max)).status).toBe(200);
    expect(await loginStatus(server, user.email, max)).toBe(200);
    expect(await loginStatus(server, user.email, `${max}-and-then-some`)).toBe(401);
  });
});

describe('password reset (tRPC)', () => {
  it('requests, mails, confirms once, ends sessions, and answers unknown emails the same', async () => {
    const server = await serve();
    const user = await signupCustomer(server);
    const anon = server.trpc();
    const known = await anon.auth.requestPasswordReset.mutate({ email: user.email });
    const unknown = await anon.auth.requestPasswordReset.mutate({ email: `nobody.trpc.${Date.now()}@example.com` });
    expect(known).toEqual({ ok: true, message: expect.any(String) });
    expect(unknown).toEqual(known);

    const mail = await waitForMail(server.dataDir, user.email);
    expect(resetLink(mail).href.startsWith(`${PUBLIC_URL}/reset?token=`)).toBe(true);
    const token = resetToken(mail);

    expect(await trpcStatus(anon.auth.resetPassword.mutate({ token, newPassword: 'password' }))).toBe(400);
    expect(await anon.auth.resetPassword.mutate({ token, newPassword: 'Trpc-reset-pass-1' })).toEqual({ ok: true });
    expect(await trpcStatus(anon.auth.resetPassword.mutate({ token, newPassword: 'Trpc-reset-pass-2' }))).toBe(400);

    expect(await trpcStatus(server.trpc(user.tokens.accessToken).auth.me.query())).toBe(401);
    expect(await trpcStatus(anon.auth.refresh.mutate({ refreshToken: user.tokens.refreshToken }))).toBe(401);
    expect(await trpcStatus(anon.auth.login.mutate({ email: user.email, password: user.password }))).toBe(401);
    const signedIn = await anon.auth.login.mutate({ email: user.email, password: 'Trpc-reset-pass-1' });
    expect(signedIn.user.email).toBe(user.email);
    expect((await server.trpc(signedIn.tokens.accessToken).auth.me.query()).user.id).toBe(signedIn.user.id);
  });

  it('throttles with TOO_MANY_REQUESTS and a Retry-After header', async () => {
    const server = await serve();
    const anon = server.trpc();
    const email = `trpc.ghost.${Date.now()}@example.com`;
    for (let i = 0; i < 5; i++) await anon.auth.requestPasswordReset.mutate({ email });
    const err = await anon.auth.requestPasswordReset.mutate({ email }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCClientError);
    const data = (err as TRPCClientError<never>).data as unknown as { httpStatus: number; code: string; retryAfter?: number };
    expect(data.httpStatus).toBe(429);
    expect(data.code).toBe('TOO_MANY_REQUESTS');
    expect(data.retryAfter).toBeGreaterThan(0);
    // The raw tRPC answer carries the header too.
    const raw = await fetch(`${server.url}/trpc/auth.requestPasswordReset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email } }),
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
