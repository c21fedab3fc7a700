/**
 * `Cache-Control: no-store` on every answer that may carry tokens, secrets or personal data
 * (issue 14, item 9): a default for every REST and tRPC answer, errors included, so routes added
 * later get it without asking; only the service descriptor, /health and the static docs are
 * left cacheable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, signupCustomer } from './helpers/auth.js';
import { customerPath, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const trpcInput = (input: unknown) => encodeURIComponent(JSON.stringify({ json: input }));

describe('Cache-Control', () => {
  it('is no-store on every REST and tRPC answer, success or error, and on the account pages', async () => {
    const admin = await adminHeaders(server);
    const user = await signupCustomer(server);
    const json = { 'content-type': 'application/json' };
    const requests: [string, RequestInit?][] = [
      ['/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email: user.email, password: user.password }) }],
      ['/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email: user.email, password: 'wrong password!' }) }],
      ['/auth/signup', { method: 'POST', headers: json, body: '{' }],
      ['/auth/refresh', { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: user.tokens.refreshToken }) }],
      ['/auth/me', { headers: { authorization: `Bearer ${user.tokens.accessToken}` } }],
      ['/auth/me'],
      ['/auth/sessions', { headers: admin }],
      ['/auth/reset', { method: 'POST', headers: json, body: JSON.stringify({ email: user.email }) }],
      ['/customers', { headers: admin }],
      [customerPath(user.email), { headers: admin }],
      [customerPath('nobody@example.com'), { headers: admin }],
      ['/customers', { method: 'POST', headers: { ...admin, 'content-type': 'text/plain' }, body: 'x' }],
      [`/trpc/customers.get?input=${trpcInput({ email: user.email })}`, { headers: admin }],
      [`/trpc/customers.get,auth.me?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: { email: user.email } } }))}`, { headers: admin }],
      ['/trpc/auth.login', { method: 'POST', headers: json, body: JSON.stringify({ json: { email: user.email, password: user.password } }) }],
      ['/trpc/auth.me'],
      ['/trpc/no.such'],
      ['/nowhere'],
      ['/metrics'],
      ['/ready'],
      ['/reset?token=abc'],
      ['/verify?token=abc'],
    ];
    for (const [p, init] of requests) {
      const res = await fetch(server.url + p, init);
      await res.arrayBuffer();
      expect(res.headers.get('cache-control'), `${init?.method ?? 'GET'} ${p} → ${res.status}`).toBe('no-store');
    }
  });

  it('leaves the descriptor, /health and the static docs cacheable', async () => {
    for (const p of ['/', '/health', '/api/openapi.json', '/api/ui/', '/api/ui/static/swagger-ui.css']) {
      const res = await fetch(server.url + p);
      await res.arrayBuffer();
      expect(res.status, p).toBe(200);
      expect(res.headers.get('cache-control') ?? '', p).not.toContain('no-store');
    }
  });
});
