import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { bearer, type Tokens } from './helpers/auth.js';
import { resetToken, waitForMail } from './helpers/outbox.js';
import { type ServerProcess, spawnServer } from './helpers/process.js';
import { type RestResponse, rest, TEST_ADMIN, tempDir, usingPostgres } from './helpers/server.js';

/** Every column of the database that holds a secret's hash, after the server stopped. */
async function storedHashes(dataDir: string, databaseUrl: string | undefined): Promise<{ refresh: string[]; password: string[]; reset: string[] }> {
  const queries = {
    refresh: 'select refresh_hash as v from sessions',
    password: 'select password_hash as v from users',
    reset: 'select token_hash as v from password_reset_tokens',
  };
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const read = async (sql: string) => (await client.query<{ v: string }>(sql)).rows.map((r) => r.v);
      return { refresh: await read(queries.refresh), password: await read(queries.password), reset: await read(queries.reset) };
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(dataDir, 'carly.sqlite'), { fileMustExist: true });
  try {
    const read = (sql: string) => (db.prepare(sql).all() as { v: string }[]).map((r) => r.v);
    return { refresh: read(queries.refresh), password: read(queries.password), reset: read(queries.reset) };
  } finally {
    db.close();
  }
}

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.push(k);
      keysOf(v, into);
    }
  }
  return into;
}

describe('secrets never reach the logs or the API', () => {
  const dataDir = tempDir('carly-redaction-');
  let dropDatabase: (() => Promise<void>) | undefined;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await dropDatabase?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs at trace level carry no password, token, reset token or hash; responses carry no hash field', async () => {
    let databaseUrl: string | undefined;
    if (usingPostgres()) {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
    server = await spawnServer({
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl ?? '',
      LOG_LEVEL: 'trace',
      BCRYPT_COST: '4',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      PUBLIC_URL: 'https://carly.example.test',
    });
    const url = server.url;
    const passwords: string[] = [TEST_ADMIN.password];
    const tokens: string[] = [];
    const bodies: RestResponse[] = [];
    const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
      const r = await rest(url, method, p, body, headers);
      bodies.push(r);
      return r;
    };
    const keep = (t: Tokens) => {
      tokens.push(t.accessToken, t.refreshToken);
      return t;
    };

    const email = `redact.${process.pid}.${Date.now()}@example.com`;
    const signupPassword = 'Signup-secret-pass-1';
    const wrongPassword = 'Wrong-secret-guess-2';
    const changedPassword = 'Changed-secret-pass-3';
    const resetPassword = 'Reset-secret-pass-4';
    passwords.push(signupPassword, wrongPassword, changedPassword, resetPassword);

    const signup = await call('POST', '/auth/signup', { email, password: signupPassword, firstName: 'Red', lastName: 'Acted' });
    expect(signup.status, JSON.stringify(signup.body)).toBe(200);
    keep(signup.body.tokens);

    const admin = await call('POST', '/auth/login', { email: TEST_ADMIN.email, password: TEST_ADMIN.password });
    expect(admin.status).toBe(200);
    keep(admin.body.tokens);

    const bad = await call('POST', '/auth/login', { email, password: wrongPassword });
    expect(bad.status).toBe(401);
    const good = await call('POST', '/auth/login', { email, password: signupPassword });
    expect(good.status).toBe(200);
    const loginTokens = keep(good.body.tokens);

    const refreshed = await call('POST', '/auth/refresh', { refreshToken: loginTokens.refreshToken });
    expect(refreshed.status).toBe(200);
    const current = keep(refreshed.body.tokens);
    // A spent refresh token: refused (and its session revoked), still not logged.
    expect((await call('POST', '/auth/refresh', { refreshToken: loginTokens.refreshToken })).status).toBe(401);

    const me = await call('GET', '/auth/me', undefined, bearer(signup.body.tokens.accessToken));
    expect(me.status).toBe(200);
    const sessions = await call('GET', '/auth/sessions', undefined, bearer(signup.body.tokens.accessToken));
    expect(sessions.status).toBe(200);
    expect(sessions.body.items.length).toBeGreaterThan(0);

    const badCurrent = await call(
      'POST',
      '/auth/password',
      { currentPassword: wrongPassword, newPassword: changedPassword },
      bearer(signup.body.tokens.accessToken),
    );
    expect(badCurrent.status).toBe(400);
    const changed = await call(
      'POST',
      '/auth/password',
      { currentPassword: signupPassword, newPassword: changedPassword },
      bearer(signup.body.tokens.accessToken),
    );
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);

    expect((await call('POST', '/auth/reset', { email })).status).toBe(200);
    const mail = await waitForMail(dataDir, email);
    const token = resetToken(mail);
    const confirmed = await call('POST', '/auth/reset/confirm', { token, newPassword: resetPassword });
    expect(confirmed.status).toBe(200);
    expect((await call('POST', '/auth/reset/confirm', { token, newPassword: resetPassword })).status).toBe(400);

    const after = await call('POST', '/auth/login', { email, password: resetPassword });
    expect(after.status).toBe(200);
    keep(after.body.tokens);

    // Bad bearer tokens: garbage, a forged signature on a real header and payload, and a revoked one.
    const [head, payload] = after.body.tokens.accessToken.split('.');
    const forged = `${head}.${payload}.c2lnbmF0dXJlLW5vdC1vdXJzLWF0LWFsbC1mb3JnZWQtYnktdGVzdA`;
    const garbage = 'garbage-bearer-value-0123456789';
    tokens.push(forged, garbage);
    expect((await call('GET', '/auth/me', undefined, { authorization: `Bearer ${garbage}` })).status).toBe(401);
    expect((await call('GET', '/auth/me', undefined, bearer(forged))).status).toBe(401);
    expect((await call('GET', '/auth/me', undefined, bearer(current.accessToken))).status).toBe(401);

    // The same through the tRPC wire, read raw.
    const trpcRaw: string[] = [];
    for (const [p, init] of [
      ['/trpc/auth.me', { headers: bearer(after.body.tokens.accessToken) }],
      ['/trpc/auth.sessions', { headers: bearer(after.body.tokens.accessToken) }],
      [
        '/trpc/auth.login',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ json: { email, password: resetPassword } }) },
      ],
    ] as const) {
      const r = await fetch(url + p, init);
      expect(r.status, p).toBe(200);
      const text = await r.text();
      trpcRaw.push(text);
      const issued = JSON.parse(text).result.data.json.tokens as Tokens | undefined;
      if (issued) keep(issued);
    }

    // An API key or a JWT in a URL, wherever it is: a bare query parameter (no `=`), a parameter's
    // name, a path segment (issue 23, item 5).
    // Made with rest(), not call(): its answer shows the secret once, by design.
    const key = await rest(url, 'POST', '/api-keys', { name: 'in a url', scopes: ['customers:read'] }, bearer(admin.body.tokens.accessToken));
    expect(key.status).toBe(200);
    const secret = key.body.secret as string;
    const jwt = after.body.tokens.accessToken as string;
    tokens.push(secret);
    for (const p of [
      `/customers?${secret}`,
      `/customers?limit=5&${secret}`,
      `/customers?${secret}=1`,
      `/customers/${jwt}`,
      `/customers?${jwt}`,
      `/trpc/customers.list?${secret}`,
    ]) {
      const r = await fetch(url + p, { headers: bearer(admin.body.tokens.accessToken) });
      expect(r.status, p).toBeLessThan(500);
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const output = server.output();
    expect(output).toContain('/customers?[redacted]');
    expect(output).toContain('/customers/[redacted]');

    // The logs are real: trace-level request logging ran, and the mailer named the outbox file.
    expect(output).toMatch(/incoming request/);
    expect(output).toContain('/auth/reset/confirm');
    expect(output).toContain(mail.file);

    const hashes = await storedHashes(dataDir, databaseUrl);
    expect(hashes.refresh.length).toBeGreaterThanOrEqual(4);
    expect(hashes.password.length).toBe(2);
    expect(hashes.reset.length).toBe(1);
    const secrets: [string, string[]][] = [
      ['password', passwords],
      ['token', tokens],
      ['reset token', [token, encodeURIComponent(token)]],
      ['refresh hash', hashes.refresh],
      ['password hash', hashes.password],
      ['reset token hash', hashes.reset],
    ];
    const jwtSecretFile = path.join(dataDir, 'jwt-secret');
    if (fs.existsSync(jwtSecretFile)) secrets.push(['signing secret', [fs.readFileSync(jwtSecretFile, 'utf8').trim()]]);
    for (const [kind, values] of secrets) {
      expect(values.length, kind).toBeGreaterThan(0);
      for (const v of values) expect(output.includes(v), `a ${kind} is in the log`).toBe(false);
    }
    expect(output).not.toContain('$2b$');
    expect(output).not.toContain('$2a$');

    // No response, on either wire, carries a hash or a password field.
    const everything = [...bodies.map((b) => JSON.stringify(b.body)), ...trpcRaw];
    const keys = new Set([...bodies.flatMap((b) => keysOf(b.body)), ...trpcRaw.flatMap((t) => keysOf(JSON.parse(t)))]);
    for (const k of keys) expect(k, 'a response field').not.toMatch(/hash|password|secret/i);
    for (const text of everything) {
      expect(text).not.toContain('$2b$');
      for (const v of [...hashes.refresh, ...hashes.password, ...hashes.reset]) expect(text.includes(v)).toBe(false);
    }
    expect(Object.keys(signup.body.user).sort()).toEqual(['createdAt', 'email', 'id', 'role']);
    expect(Object.keys(me.body.user).sort()).toEqual(['createdAt', 'email', 'id', 'role']);
    expect(Object.keys(sessions.body.items[0]).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent']);
  });
});
