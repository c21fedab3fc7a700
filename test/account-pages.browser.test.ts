/**
 * The reset and verify pages in a real browser (Debian's chromium driven by playwright-core):
 * open the link from the mail, set a new password (or confirm the address), and see the account
 * change: the new password signs in; the claimed record becomes readable. The pages run under
 * the server's CSP, so a CSP violation (inline script, external asset) shows up as a console
 * error and fails the test. Skipped, with a message, only when /usr/bin/chromium is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, bearer, signupCustomer } from './helpers/auth.js';
import { ARTIFACTS, CHROMIUM, hasChromium, launchChromium } from './helpers/browser.js';
import { resetLink, waitForMail } from './helpers/outbox.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

const dialect = process.env.CARLY_TEST_DIALECT ?? 'sqlite';

if (!hasChromium) console.warn(`account-pages.browser.test.ts: SKIPPED, ${CHROMIUM} is absent (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('reset and verify pages in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A page that records console errors, page errors and requests to any other host. */
  async function openPage(name: string, run: (page: Page, problems: string[]) => Promise<void>) {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => {
      if (!req.url().startsWith(server.url) && !req.url().startsWith('data:')) problems.push(`off-host request: ${req.url()}`);
    });
    try {
      await run(page, problems);
    } finally {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${dialect}.png`), fullPage: true }).catch(() => {});
      await context.close();
    }
  }

  it('sets a new password through the reset page, and the new password signs in', async () => {
    const user = await signupCustomer(server);
    expect((await rest(server.url, 'POST', '/auth/reset', { email: user.email })).status).toBe(200);
    const link = resetLink(await waitForMail(server.dataDir, user.email));
    const newPassword = `Chromium-set-${Date.now()}`;

    await openPage('reset-page', async (page, problems) => {
      await page.goto(`${server.url}${link.pathname}${link.search}`);
      // The token leaves the address bar (and the history) once the page has read it.
      await expect.poll(() => new URL(page.url()).search).toBe('');
      // A mismatch is caught on the page, before anything is sent.
      await page.locator('#password').fill(newPassword);
      await page.locator('#confirm').fill(`${newPassword}-typo`);
      await page.locator('button[type="submit"]').click();
      await expect.poll(() => page.locator('#message').innerText()).toMatch(/do not match/i);

      await page.locator('#confirm').fill(newPassword);
      await page.locator('button[type="submit"]').click();
      await expect.poll(() => page.locator('#message').innerText()).toMatch(/password is set/i);
      expect(problems).toEqual([]);
    });

    expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    const login = await rest(server.url, 'POST', '/auth/login', { email: user.email, password: newPassword });
    expect(login.status).toBe(200);
  }, 60_000);

  it('shows the reason when the link is spent or the password is refused', async () => {
    await openPage('reset-page-refused', async (page, problems) => {
      await page.goto(`${server.url}/reset?token=not-a-real-token-0123456789`);
      await page.locator('#password').fill('Another-sturdy-pass-1');
      await page.locator('#confirm').fill('Another-sturdy-pass-1');
      await page.locator('button[type="submit"]').click();
      await expect.poll(() => page.locator('#message').innerText()).toMatch(/invalid, used or expired/i);
      expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    });
  }, 60_000);

  it('confirms the address through the verify page, and the claimed record becomes readable', async () => {
    const phone = '+44 20 7946 0958';
    const imported = newCustomer({ phone });
    expect((await rest(server.url, 'POST', '/customers', imported, await adminHeaders(server))).status).toBe(200);
    const signup = await rest(server.url, 'POST', '/auth/signup', { ...imported, password: `Claim-${Date.now()}-pass` });
    expect(signup.status).toBe(200);
    const auth = bearer(signup.body.tokens.accessToken);
    expect((await rest(server.url, 'GET', customerPath(imported.email), undefined, auth)).status).toBe(403);
    const mail = await waitForMail(server.dataDir, imported.email);
    const link = new URL(mail.text.match(/https?:\/\/\S+\/verify\?token=\S+/)![0]);

    await openPage('verify-page', async (page, problems) => {
      await page.goto(`${server.url}${link.pathname}${link.search}`);
      await expect.poll(() => new URL(page.url()).search).toBe('');
      // Opening the link alone changes nothing (mail scanners open links); the button does.
      expect((await rest(server.url, 'GET', customerPath(imported.email), undefined, auth)).status).toBe(403);
      await page.locator('button[type="submit"]').click();
      await expect.poll(() => page.locator('#message').innerText()).toMatch(/confirmed/i);
      expect(problems).toEqual([]);
    });

    const own = await rest(server.url, 'GET', customerPath(imported.email), undefined, auth);
    expect(own.status).toBe(200);
    expect(own.body.phone).toBe(phone);
  }, 60_000);
});
