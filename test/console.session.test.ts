/**
 * The console's server side over real HTTP: its files (strict CSP, hashed assets cached for a year,
 * index.html uncached, SPA fallback) and its cookie session routes (the refresh token only in an
 * HttpOnly; SameSite=Strict; Path=/console/ cookie, Secure over https, rotated on refresh, Origin
 * checked, sign-out ending the session server-side). The browser side is console.browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../server/http/console/console-csp.js';
import { REFRESH_COOKIE } from '../server/http/console/session-cookie.js';
import { bearer } from './helpers/auth.js';
import { rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
let origin: string;

beforeAll(async () => {
  // TRUST_PROXY: X-Forwarded-Proto from the proxy decides whether the cookie is Secure.
  server = await startServer({ TRUST_PROXY: 'true' });
  origin = server.url;
});
afterAll(() => server?.close());

const post = (path: string, init: { origin?: string | null; body?: unknown; cookie?: string; authorization?: string; proto?: string } = {}) =>
  fetch(`${server.url}/console/session${path}`, {
    method: 'POST',
    headers: {
      ...(init.origin === null ? {} : { origin: init.origin ?? origin }),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...(init.authorization ? { authorization: init.authorization } : {}),
      ...(init.proto ? { 'x-forwarded-proto': init.proto } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

/** The refresh cookie's value and attributes from a Set-Cookie header. */
function parseSetCookie(res: Response) {
  const header = res.headers.get('set-cookie');
  expect(header).not.toBeNull();
  const [pair, ...attrs] = header!.split(';').map((s) => s.trim());
  const [name, value] = pair!.split('=') as [string, string];
  expect(name).toBe(REFRESH_COOKIE);
  return { value, attrs: attrs.map((a) => a.toLowerCase()), cookie: `${REFRESH_COOKIE}=${value}` };
}

const signIn = async (proto?: string) => {
  const res = await post('', { body: TEST_ADMIN, ...(proto ? { proto, origin: origin.replace('http:', `${proto}:`) } : {}) });
  expect(res.status).toBe(200);
  return { res, body: (await res.json()) as Record<string, unknown>, ...parseSetCookie(res) };
};

describe('console files', () => {
  it('serves index.html uncached and hashed assets cached for a year, all under the strict CSP', async () => {
    const page = await fetch(`${server.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    const html = await page.text();
    // No inline script: every <script> has a src on this server.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/src="\/console\/assets\/[\w-]+\.js"/);
    const asset = /src="(\/console\/assets\/[\w-]+\.js)"/.exec(html)![1]!;
    const js = await fetch(server.url + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      expect(CONSOLE_CSP).toContain(directive);
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  it('answers the page for the console routes (SPA fallback), 404 for a missing asset, and the page at /console too', async () => {
    const deep = await fetch(`${server.url}/console/customers/${encodeURIComponent('ada@example.com')}`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    const missing = await fetch(`${server.url}/console/assets/index-nothere.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
    const bare = await fetch(`${server.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(200);
    expect(await bare.text()).toContain('<div id="root">');
  });
});

describe('console session routes', () => {
  it('sign-in answers the access token only, and sets the refresh cookie HttpOnly, SameSite=Strict, Path=/console/, not Secure over http', async () => {
    const { body, attrs, value } = await signIn();
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
    expect(JSON.stringify(body)).not.toContain(value);
    expect(attrs).toEqual(expect.arrayContaining(['path=/console/', 'httponly', 'samesite=strict']));
    expect(attrs.some((a) => a.startsWith('max-age=') && Number(a.slice(8)) > 86_400)).toBe(true);
    expect(attrs).not.toContain('secure');
    const me = await rest(server.url, 'GET', '/auth/me', undefined, bearer(body.accessToken as string));
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(TEST_ADMIN.email);
  });

  it('marks the cookie Secure when served over https (X-Forwarded-Proto from a trusted proxy)', async () => {
    const { attrs } = await signIn('https');
    expect(attrs).toContain('secure');
  });

  it('refuses a foreign or missing Origin with 403, before doing anything', async () => {
    for (const bad of ['https://evil.example', 'http://127.0.0.1:1', null]) {
      const res = await post('', { body: TEST_ADMIN, origin: bad });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
    }
    const { cookie } = await signIn();
    const refresh = await post('/refresh', { cookie, origin: 'https://evil.example' });
    expect(refresh.status).toBe(403);
    // The refused request spent nothing: the cookie still refreshes from the console's own origin.
    expect((await post('/refresh', { cookie })).status).toBe(200);
  });

  it('refuses a wrong password and bad input in the contract shape, setting no cookie', async () => {
    const wrong = await post('', { body: { email: TEST_ADMIN.email, password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(((await wrong.json()) as { code: string }).code).toBe('UNAUTHORIZED');
    const bad = await post('', { body: { email: 'not-an-email', password: 'x', extra: 1 } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; issues: unknown[] };
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.issues.length).toBeGreaterThan(0);
    expect(bad.headers.get('set-cookie')).toBeNull();
  });

  it('refresh rotates the cookie; the spent one then ends the whole session', async () => {
    const first = await signIn();
    const refreshed = await post('/refresh', { cookie: first.cookie });
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType']);
    const second = parseSetCookie(refreshed);
    expect(second.value).not.toBe(first.value);
    expect(second.attrs).toEqual(expect.arrayContaining(['path=/console/', 'httponly', 'samesite=strict']));
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(body.accessToken as string))).status).toBe(200);

    // Replaying the spent cookie: refused, the cookie cleared, and the session (new cookie too) over.
    const replay = await post('/refresh', { cookie: first.cookie });
    expect(replay.status).toBe(401);
    expect(parseSetCookie(replay).attrs).toContain('max-age=0');
    expect((await post('/refresh', { cookie: second.cookie })).status).toBe(401);
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(body.accessToken as string))).status).toBe(401);
  });

  it('refresh without a cookie is 401', async () => {
    const res = await post('/refresh');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('UNAUTHORIZED');
  });

  it('sign-out ends the session server-side and clears the cookie (with the access token, or the cookie alone)', async () => {
    const withToken = await signIn();
    const out = await post('/logout', { cookie: withToken.cookie, authorization: `Bearer ${withToken.body.accessToken as string}` });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({ ended: true });
    const cleared = parseSetCookie(out);
    expect(cleared.value).toBe('');
    expect(cleared.attrs).toEqual(expect.arrayContaining(['max-age=0', 'path=/console/', 'httponly', 'samesite=strict']));
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(withToken.body.accessToken as string))).status).toBe(401);
    expect((await post('/refresh', { cookie: withToken.cookie })).status).toBe(401);

    const cookieOnly = await signIn();
    const out2 = await post('/logout', { cookie: cookieOnly.cookie });
    expect(await out2.json()).toEqual({ ended: true });
    expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(cookieOnly.body.accessToken as string))).status).toBe(401);

    // Nothing left to end: still answers, still clears.
    const nothing = await post('/logout');
    expect(await nothing.json()).toEqual({ ended: false });
    expect(parseSetCookie(nothing).attrs).toContain('max-age=0');
  });

  it('the cookie is scoped to /console/: the API never takes it as a credential', async () => {
    const { cookie } = await signIn();
    const me = await fetch(`${server.url}/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(401);
  });
});
