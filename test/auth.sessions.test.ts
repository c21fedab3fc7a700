import fs from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, signupCustomer } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
const clock = new TestClock();
const me = (token: string) => rest(server.url, 'GET', '/auth/me', undefined, bearer(token));

beforeAll(async () => {
  server = await startServer({}, { clock });
});
afterAll(() => server.close());

describe('refresh tokens', () => {
  it('rotate on every use; a spent one revokes the whole session', async () => {
    const user = await signupCustomer(server);
    const first = user.tokens;
    const r1 = await rest(server.url, 'POST', '/auth/refresh', { refreshToken: first.refreshToken });
    expect(r1.status).toBe(200);
    const second = r1.body.tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await me(second.accessToken)).status).toBe(200);

    const reuse = await rest(server.url, 'POST', '/auth/refresh', { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('UNAUTHORIZED');
    // The theft is assumed: every token of that session stops at once.
    expect((await me(second.accessToken)).status).toBe(401);
    expect((await rest(server.url, 'POST', '/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(401);
    // Other sessions of the account live on.
    const other = await login(server, user.email, user.password);
    expect((await me(other.accessToken)).status).toBe(200);
  });

  it('of concurrent uses of one token, exactly one succeeds (and the reuse ends the session)', async () => {
    const user = await signupCustomer(server);
    const results = await Promise.all([1, 2, 3].map(() => rest(server.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    // The losers presented a spent token: the session ended, the winner's new tokens with it.
    const winner = results.find((r) => r.status === 200)!;
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(winner.body.tokens.accessToken))).status).toBe(401);
  });

  it('refuses garbage with 401', async () => {
    for (const refreshToken of ['x', 'a.b', '00000000-0000-0000-0000-000000000000.abc', 'é'.repeat(40)]) {
      const r = await rest(server.url, 'POST', '/auth/refresh', { refreshToken });
      expect(r.status, refreshToken).toBe(401);
    }
  });
});

describe('access tokens stop the moment their session ends', () => {
  it('after logout', async () => {
    const user = await signupCustomer(server);
    expect((await me(user.tokens.accessToken)).status).toBe(200);
    const out = await rest(server.url, 'POST', '/auth/logout', undefined, bearer(user.tokens.accessToken));
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true });
    expect((await me(user.tokens.accessToken)).status).toBe(401);
    expect((await rest(server.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken })).status).toBe(401);
  });

  it('after a password change, except the session that changed it', async () => {
    const user = await signupCustomer(server);
    const other = await login(server, user.email, user.password);
    const wrong = await rest(
      server.url,
      'POST',
      '/auth/password',
      { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' },
      bearer(user.tokens.accessToken),
    );
    expect(wrong.status).toBe(400);
    const weak = await rest(
      server.url,
      'POST',
      '/auth/password',
      { currentPassword: user.password, newPassword: 'password1' },
      bearer(user.tokens.accessToken),
    );
    expect(weak.status).toBe(400);
    expect((await me(other.accessToken)).status).toBe(200);
    const ok = await rest(
      server.url,
      'POST',
      '/auth/password',
      { currentPassword: user.password, newPassword: 'a brand new passphrase' },
      bearer(user.tokens.accessToken),
    );
    expect(ok.status).toBe(200);
    expect((await me(user.tokens.accessToken)).status).toBe(200);
    expect((await me(other.accessToken)).status).toBe(401);
    expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    await login(server, user.email, 'a brand new passphrase');
  });

  it('after revoking it from the session list, which marks the current one', async () => {
    const user = await signupCustomer(server, {});
    const phone = await rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password }, { 'user-agent': 'CarlyPhone/1.0' });
    const list = await rest(server.url, 'GET', '/auth/sessions', undefined, bearer(user.tokens.accessToken));
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    const current = list.body.items.find((s: { current: boolean }) => s.current);
    const other = list.body.items.find((s: { current: boolean }) => !s.current);
    expect(other.userAgent).toBe('CarlyPhone/1.0');
    expect(other.ip).toBe('127.0.0.1');
    expect(Object.keys(current).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);

    const stranger = await signupCustomer(server);
    expect((await rest(server.url, 'DELETE', `/auth/sessions/${other.id}`, undefined, bearer(stranger.tokens.accessToken))).status).toBe(404);
    expect((await me(phone.body.tokens.accessToken)).status).toBe(200);

    const revoke = await rest(server.url, 'DELETE', `/auth/sessions/${other.id}`, undefined, bearer(user.tokens.accessToken));
    expect(revoke.status).toBe(200);
    expect((await me(phone.body.tokens.accessToken)).status).toBe(401);
    expect((await rest(server.url, 'DELETE', `/auth/sessions/${other.id}`, undefined, bearer(user.tokens.accessToken))).status).toBe(404);
    expect((await rest(server.url, 'DELETE', '/auth/sessions/not-a-uuid', undefined, bearer(user.tokens.accessToken))).status).toBe(400);
    const after = await rest(server.url, 'GET', '/auth/sessions', undefined, bearer(user.tokens.accessToken));
    expect(after.body.items.map((s: { id: string }) => s.id)).toEqual([current.id]);
  });

  it('lastUsedAt: written at most once a minute, after the answer', async () => {
    const user = await signupCustomer(server);
    const token = bearer(user.tokens.accessToken);
    const lastUsed = async () => (await rest(server.url, 'GET', '/auth/sessions', undefined, token)).body.items[0].lastUsedAt as string;
    const waitFor = async (check: (v: string) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const v = await lastUsed();
        if (check(v)) return v;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('lastUsedAt never changed');
    };
    const first = await lastUsed();
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) expect((await me(user.tokens.accessToken)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastUsed()).toBe(first);
    clock.advance(31_000);
    expect((await me(user.tokens.accessToken)).status).toBe(200);
    const second = await waitFor((v) => v !== first);
    expect(new Date(second).getTime() - new Date(first).getTime()).toBeGreaterThanOrEqual(61_000); // the test clock runs on from its offset
    clock.advance(1500); // past the live-session cache: the session is read again, its use was written
    for (let i = 0; i < 3; i++) expect((await me(user.tokens.accessToken)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastUsed()).toBe(second);
  });

  it('over tRPC the same', async () => {
    const user = await signupCustomer(server);
    const trpc = server.trpc(user.tokens.accessToken);
    const who = await trpc.auth.me.query();
    expect(who.user.email).toBe(user.email);
    expect(who.customer?.createdAt).toBeInstanceOf(Date);
    const sessions = await trpc.auth.sessions.query();
    expect(sessions.items[0]!.lastUsedAt).toBeInstanceOf(Date);
    await trpc.auth.logout.mutate();
    await expect(trpc.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });
});

describe('access token validation', () => {
  it('expires after 15 minutes; the refresh token still works', async () => {
    const user = await signupCustomer(server);
    clock.advance(14 * 60_000);
    expect((await me(user.tokens.accessToken)).status).toBe(200);
    clock.advance(2 * 60_000);
    const expired = await me(user.tokens.accessToken);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/expired/i);
    const r = await rest(server.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken });
    expect(r.status).toBe(200);
    expect((await me(r.body.tokens.accessToken)).status).toBe(200);
  });

  it('refuses tampered, wrongly signed, unsigned and malformed tokens', async () => {
    const user = await signupCustomer(server);
    const [h, p, s] = user.tokens.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const wrongSecret = await new SignJWT({ sid: claims.sid, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub)
      .setIssuer('carly')
      .setAudience('carly-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode('x'.repeat(48)));
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    for (const token of [`${h}.${promoted}.${s}`, wrongSecret, none, `${h}.${p}.${s.slice(0, -2)}xx`, 'garbage', '']) {
      const r = await me(token);
      expect(r.status, token).toBe(401);
      expect(r.body.code).toBe('UNAUTHORIZED');
    }
    expect((await rest(server.url, 'GET', '/auth/me', undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status).toBe(401);
    expect((await rest(server.url, 'GET', '/customers', undefined, { authorization: `Bearer ${h}.${promoted}.${s}` })).status).toBe(401);
  });
});

describe('the signing secret', () => {
  it('is generated once into DATA_DIR with mode 0600, so a restart keeps sessions', async () => {
    const first = await startServer();
    const user = await signupCustomer(first);
    const file = path.join(first.dataDir, 'jwt-secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const secret = fs.readFileSync(file, 'utf8');
    await first.app.http.close();
    const again = await startServer({
      DATA_DIR: first.dataDir,
      ...(first.app.config.database.kind === 'postgresql' ? { DATABASE_URL: (first.app.config.database as { url: string }).url } : {}),
    });
    try {
      expect(fs.readFileSync(file, 'utf8')).toBe(secret);
      expect((await rest(again.url, 'GET', '/auth/me', undefined, bearer(user.tokens.accessToken))).status).toBe(200);
    } finally {
      await again.close();
      await first.close().catch(() => undefined);
    }
  });
});

describe('behind a load balancer', () => {
  it('takes the client address from X-Forwarded-For only when TRUST_PROXY names the proxy', async () => {
    const proxied = await startServer({ TRUST_PROXY: '127.0.0.1' });
    try {
      const user = await signupCustomer(proxied);
      const r = await rest(proxied.url, 'POST', '/auth/login', { email: user.email, password: user.password }, { 'x-forwarded-for': '203.0.113.7' });
      const list = await rest(proxied.url, 'GET', '/auth/sessions', undefined, bearer(r.body.tokens.accessToken));
      expect(list.body.items.find((s: { current: boolean }) => s.current).ip).toBe('203.0.113.7');
    } finally {
      await proxied.close();
    }
    const user = await signupCustomer(server);
    const r = await rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password }, { 'x-forwarded-for': '203.0.113.7' });
    const list = await rest(server.url, 'GET', '/auth/sessions', undefined, bearer(r.body.tokens.accessToken));
    expect(list.body.items.find((s: { current: boolean }) => s.current).ip).toBe('127.0.0.1');
  });
});
