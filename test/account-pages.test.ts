/**
 * The links in mails lead somewhere, and the tokens in them never reach a log (issue 14, item 3):
 * GET /reset?token=… and GET /verify?token=… serve small pages of the server's own that run under
 * the CSP (no inline script, no external asset); request logs carry no query value that could be a
 * secret; RESET_URL / VERIFY_URL point the mails at an app's own pages instead.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { ConfigError, loadConfig } from '../server/config.js';
import { redactUrl } from '../server/http/log-redaction.js';
import { adminHeaders, bearer, signupCustomer } from './helpers/auth.js';
import { resetLink, resetToken, waitForMail } from './helpers/outbox.js';
import { type ServerProcess, spawnServer } from './helpers/process.js';
import { newCustomer, rest, startServer, TEST_ADMIN, type TestServer, tempDir, usingPostgres } from './helpers/server.js';

/** Every `src`/`href` in an HTML page. */
const assetRefs = (html: string) => [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);

describe('request logs never carry a token from a URL (a real server process, trace level)', () => {
  const dataDir = tempDir('carly-pages-');
  let server: ServerProcess | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await dropDatabase?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('opening the reset and verify links, and URLs with access_token, code or key, logs none of their values', async () => {
    let databaseUrl = '';
    if (usingPostgres()) {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
    server = await spawnServer({
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'trace',
      BCRYPT_COST: '4',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      PUBLIC_URL: 'https://carly.example.test',
    });
    const url = server.url;
    const email = `pages.${process.pid}.${Date.now()}@example.com`;
    expect((await rest(url, 'POST', '/auth/signup', { email, password: 'Pages-secret-pass-1', firstName: 'Pa', lastName: 'Ges' })).status).toBe(200);
    expect((await rest(url, 'POST', '/auth/reset', { email })).status).toBe(200);
    const mail = await waitForMail(dataDir, email);
    const link = resetLink(mail);
    expect(`${link.origin}${link.pathname}`).toBe('https://carly.example.test/reset');
    const token = resetToken(mail);

    // The link, opened on this server: a page of its own, which does not echo the token.
    const page = await fetch(`${url}${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).not.toContain(token);

    const others = [
      'access-token-value-0123456789',
      'oauth-code-value-0123456789',
      'api-key-value-0123456789',
      'verify-token-value-0123456789',
      'refresh-value-0123456789',
    ];
    for (const p of [
      `/verify?token=${others[3]}`,
      `/customers?access_token=${others[0]}&limit=5`,
      `/trpc/auth.me?access_token=${others[0]}`,
      `/auth/me?code=${others[1]}`,
      `/health?KEY=${others[2]}`,
      `/nowhere?refresh_token=${others[4]}`,
      `/reset?token=${others[3]}&token=${others[4]}`,
    ]) {
      await (await fetch(url + p)).text();
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const output = server.output();
    // Request logging ran, at trace level, with the paths (and the parameter names) in it.
    expect(output).toMatch(/incoming request/);
    expect(output).toContain('"url":"/reset?token=[redacted]"');
    expect(output).toContain('/customers?access_token=[redacted]&limit=5');
    for (const secret of [token, encodeURIComponent(token), ...others]) {
      expect(output.includes(secret), `${secret.slice(0, 12)}… is in the log`).toBe(false);
    }
  });
});

describe('redactUrl', () => {
  it.each([
    ['/reset?token=abc', '/reset?token=[redacted]'],
    ['/customers?limit=5&cursor=c1&sort=-email', '/customers?limit=5&cursor=[redacted]&sort=-email'],
    ['/trpc/a,b?batch=1&input=x', '/trpc/a,b?batch=1&input=[redacted]'],
    [
      '/x?Access_Token=a&refresh_token=b&code=c&key=d&secret=e&password=f&sig=g&api-key=h',
      '/x?Access_Token=[redacted]&refresh_token=[redacted]&code=[redacted]&key=[redacted]&secret=[redacted]&password=[redacted]&sig=[redacted]&api-key=[redacted]',
    ],
    ['/customers?q=ada%40example.com', '/customers?q=[redacted]'],
    ['/trpc/customers.get?input=%7B%22json%22%3A%7B%7D%7D', '/trpc/customers.get?input=[redacted]'],
    ['/a?token', '/a?[redacted]'],
    ['/a?limit&batch', '/a?limit&batch'],
    ['/a?token=', '/a?token='],
    ['/a?=x&token=y#frag', '/a?=[redacted]&token=[redacted]'],
    ['/health', '/health'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('the account pages', () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it('serve HTML with no inline script and no asset from elsewhere, and a script from this server', async () => {
    server = await startServer();
    for (const p of ['/reset?token=abc', '/verify?token=abc', '/reset', '/verify']) {
      const r = await fetch(server.url + p);
      expect(r.status, p).toBe(200);
      const html = await r.text();
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
      // Every <script> has a src and no body: script-src 'self' forbids inline code.
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length, p).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/\bsrc="/);
        expect(body!.trim()).toBe('');
      }
      expect(html).not.toMatch(/\son\w+\s*=/i); // no inline event handlers either
      for (const ref of assetRefs(html)) {
        expect(ref, `${p}: ${ref}`).not.toMatch(/^(?:[a-z]+:)?\/\//i);
        const asset = await fetch(new URL(ref, server.url + p));
        expect(asset.status, ref).toBe(200);
      }
    }
    const script = await fetch(`${server.url}/assets/account-pages.js`);
    expect(script.headers.get('content-type')).toMatch(/^(?:text|application)\/javascript/);
    expect(await script.text()).toContain('auth/reset/confirm');
  });

  it('links mails to RESET_URL and VERIFY_URL when set, and to PUBLIC_URL/reset and /verify by default', async () => {
    expect(loadConfig({ PUBLIC_URL: 'https://carly.example/base/' })).toMatchObject({
      resetUrl: 'https://carly.example/base/reset',
      verifyUrl: 'https://carly.example/base/verify',
    });
    for (const bad of ['javascript:alert(1)', 'ftp://app.example/reset', 'not a url']) {
      expect(() => loadConfig({ RESET_URL: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ VERIFY_URL: bad }), bad).toThrow(/VERIFY_URL/);
    }
    const other = await startServer({ RESET_URL: 'https://app.example/account/new-password?lang=en', VERIFY_URL: 'https://app.example/account/confirm' });
    try {
      const user = await signupCustomer(other);
      expect((await rest(other.url, 'POST', '/auth/reset', { email: user.email })).status).toBe(200);
      const resetMail = await waitForMail(other.dataDir, user.email);
      const link = new URL(resetMail.text.match(/https?:\/\/\S+/)![0]);
      expect(`${link.origin}${link.pathname}`).toBe('https://app.example/account/new-password');
      expect(link.searchParams.get('lang')).toBe('en');
      expect(link.searchParams.get('token')!.length).toBeGreaterThanOrEqual(40);

      const admin = await adminHeaders(other);
      const imported = newCustomer();
      expect((await rest(other.url, 'POST', '/customers', imported, admin)).status).toBe(200);
      const claim = await rest(other.url, 'POST', '/auth/signup', { ...imported, password: 'Claiming-pass-123' });
      expect(claim.status).toBe(200);
      const verifyMail = await waitForMail(other.dataDir, imported.email);
      const verify = new URL(verifyMail.text.match(/https?:\/\/\S+/)![0]);
      expect(`${verify.origin}${verify.pathname}`).toBe('https://app.example/account/confirm');
      expect(verify.searchParams.get('token')!.length).toBeGreaterThanOrEqual(40);
      expect((await rest(other.url, 'GET', '/auth/me', undefined, bearer(claim.body.tokens.accessToken))).body.customer).toBeNull();
    } finally {
      await other.close();
    }
  });
});
