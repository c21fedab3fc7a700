import { afterAll, describe, expect, it } from 'vitest';
import { bearer } from './helpers/auth.js';
import { spawnServerOnItsOwn } from './helpers/process.js';
import { rest, TEST_ADMIN, usingPostgres } from './helpers/server.js';

interface LogLine {
  msg: string;
  level: number;
  reqId?: string;
  req?: Record<string, unknown>;
  res?: { statusCode: number };
  responseTime?: number;
}

/**
 * At the default level (info) a request writes ONE line, `request completed`, with what an
 * operator looks for: its id, method, URL (redacted), client address, status and duration.
 * `incoming request` is written only at debug (test/redaction.test.ts runs at trace and sees it).
 */
describe('the request log at LOG_LEVEL=info', () => {
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => close?.());

  it('writes one line per request, with the request, the answer and no secret', async () => {
    const own = await spawnServerOnItsOwn({ BCRYPT_COST: '4', ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password }, usingPostgres());
    close = own.close;
    const server = own.server;
    const login = await rest(server.url, 'POST', '/auth/login', { email: TEST_ADMIN.email, password: TEST_ADMIN.password });
    expect(login.status).toBe(200);
    const token = login.body.tokens.accessToken as string;

    const secret = 'carly_sk_0123456789abcdefghij';
    const asked = [
      { path: '/health', status: 200, logged: '/health', headers: {} },
      { path: `/customers?limit=2&access_token=${secret}`, status: 401, logged: '/customers?limit=2&access_token=[redacted]', headers: {} },
      { path: '/customers?limit=2', status: 200, logged: '/customers?limit=2', headers: bearer(token) },
      {
        path: `/trpc/customers.list?input=${encodeURIComponent(JSON.stringify({ json: { limit: 2 } }))}`,
        status: 200,
        logged: '/trpc/customers.list?input=[redacted]',
        headers: bearer(token),
      },
    ];
    const ids: string[] = [];
    for (const a of asked) {
      const res = await fetch(server.url + a.path, { headers: a.headers });
      await res.arrayBuffer();
      expect(res.status, a.path).toBe(a.status);
      ids.push(res.headers.get('x-request-id')!);
    }
    // The completion line is written when the answer is finished, which may be after the client read it.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
    asked.forEach((a, i) => {
      const own = lines.filter((l) => l.reqId === ids[i] && (l.req || l.res));
      expect(own, a.path).toHaveLength(1);
      expect(own[0]).toMatchObject({
        level: 30,
        msg: 'request completed',
        req: { method: 'GET', url: a.logged, remoteAddress: '127.0.0.1' },
        res: { statusCode: a.status },
      });
      expect(Object.keys(own[0]!.req!).sort()).toEqual(['method', 'remoteAddress', 'url']);
      expect(own[0]!.responseTime).toBeGreaterThan(0);
    });
    const output = server.output();
    expect(output.includes(secret)).toBe(false);
    expect(output.includes(token)).toBe(false);
  }, 60_000);
});
