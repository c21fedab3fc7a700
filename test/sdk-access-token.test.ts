/**
 * The SDK for apps that do not hold the refresh token (the web console: it lives in an HttpOnly
 * cookie): `setAccessToken` gives the client a bare access token, and after a 401 the client asks
 * the app's own `refreshAccessToken` (once for calls failing together) instead of `auth.refresh`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCarlyClient, isCarlyError } from '../client-sdk/src/index.js';
import { login } from './helpers/auth.js';
import { startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

describe('SDK with an app-supplied access token', () => {
  it('refreshes through refreshAccessToken after a 401, once for calls failing together, never through auth.refresh', async () => {
    const fresh = await login(server, TEST_ADMIN.email, TEST_ADMIN.password);
    const refreshes: number[] = [];
    const paths: string[] = [];
    const carly = createCarlyClient({
      url: server.url,
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        paths.push(new URL(String(url)).pathname);
        return fetch(url, init);
      }) as typeof fetch,
      refreshAccessToken: async () => {
        refreshes.push(Date.now());
        return fresh.accessToken;
      },
    });
    carly.setAccessToken('not-a-valid-token');
    expect(carly.accessToken).toBe('not-a-valid-token');
    // Without a refresh token the client has no TokenPair to show.
    expect(carly.tokens).toBeNull();
    const [me, again] = await Promise.all([carly.auth.me(), carly.auth.sessions()]);
    expect(me.user.email).toBe(TEST_ADMIN.email);
    expect(again.items.length).toBeGreaterThan(0);
    expect(refreshes).toHaveLength(1);
    expect(carly.accessToken).toBe(fresh.accessToken);
    expect(paths.some((p) => p.includes('auth.refresh'))).toBe(false);
  });

  it('a session the app says is over (null) signs the client out and tells onTokens', async () => {
    const told: unknown[] = [];
    const carly = createCarlyClient({ url: server.url, refreshAccessToken: async () => null, onTokens: (t) => void told.push(t) });
    carly.setAccessToken('expired-or-revoked');
    const err = await carly.auth.me().catch((e: unknown) => e);
    expect(isCarlyError(err) && err.code).toBe('UNAUTHORIZED');
    expect(told).toEqual([null]);
    expect(carly.accessToken).toBeNull();
  });
});
