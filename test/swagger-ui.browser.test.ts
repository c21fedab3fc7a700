/**
 * Swagger UI in a real browser (Debian's chromium driven by playwright-core): open /api/ui/,
 * see it load and name /api/openapi.json in its top bar, Authorize with a token from a login, execute GET /customers/{email}, and see the 200 and the
 * customer in the page. A screenshot lands in test-artifacts/. Skipped, with a message, only
 * when /usr/bin/chromium is absent. Every API answer the page receives is also checked against
 * openapi.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './helpers/auth.js';
import { ARTIFACTS, CHROMIUM, hasChromium, launchChromium } from './helpers/browser.js';
import { checkRestResponse } from './helpers/openapi-validate.js';
import { newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

const dialect = process.env.CARLY_TEST_DIALECT ?? 'sqlite';

if (!hasChromium) {
  console.warn(`swagger-ui.browser.test.ts: SKIPPED, ${CHROMIUM} is absent (apt-get install -y chromium)`);
}

describe.skipIf(!hasChromium)(`Swagger UI in Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install -y chromium)`}`, () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('authorizes with a bearer token, executes GET /customers/{email} and shows the customer', async () => {
    const token = await adminToken(server);
    const customer = newCustomer({ email: `swagger.${Date.now()}+ui@example.com`, company: 'Analytical Engines' });
    expect((await rest(server.url, 'POST', '/customers', customer, { authorization: `Bearer ${token}` })).status).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const problems: string[] = [];
    const offHost: string[] = [];
    const apiAnswers: string[] = [];
    const documentLoads: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => {
      if (!req.url().startsWith(server.url) && !req.url().startsWith('data:')) offHost.push(req.url());
    });
    page.on('requestfinished', (req) => {
      const { pathname } = new URL(req.url());
      if (pathname === '/api/openapi.json' || pathname === '/api/ui/json' || pathname === '/api/ui/yaml') documentLoads.push(pathname);
    });
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (url.origin !== server.url || url.pathname.startsWith('/api/')) return;
      const text = await res.text().catch(() => '');
      const method = res.request().method();
      checkRestResponse(method, url.pathname + url.search, res.status(), text ? JSON.parse(text) : null, res.headers());
      apiAnswers.push(`${method} ${url.pathname} ${res.status()}`);
    });

    try {
      await page.goto(`${server.url}/api/ui/`);
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'Carly' }).waitFor();

      // The top bar names the service's own document, and that is the one the page loaded.
      expect(await page.locator('.topbar input#download-url-input').inputValue()).toBe('/api/openapi.json');
      expect(documentLoads).toEqual(['/api/openapi.json']);

      // Authorize: two schemes, a person's access token (bearerAuth) and an API key (apiKeyAuth),
      // each with its own form; the first takes the access token.
      await page.locator('.auth-wrapper button.authorize').click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      await dialog.waitFor();
      const forms = dialog.locator('.auth-container');
      await expect.poll(() => forms.count()).toBe(2);
      expect(await forms.nth(0).innerText()).toContain('bearerAuth');
      expect(await forms.nth(1).innerText()).toContain('apiKeyAuth');
      const bearerForm = forms.nth(0);
      await bearerForm.locator('input[type="text"], input[type="password"]').first().fill(token);
      await bearerForm.locator('.auth-btn-wrapper button.authorize').click();
      await bearerForm.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor();
      await dialog.locator('button.close-modal').first().click();
      await expect.poll(() => page.locator('.auth-wrapper button.authorize.locked').count()).toBe(1);

      // GET /customers/{email}: try it out, fill the email, execute.
      const op = page.locator('#operations-customers-customers-get');
      await op.locator('.opblock-summary').first().click();
      // The server turns "Try it out" on by default (tryItOutEnabled); turn it on if it is not.
      const tryOut = op.locator('button.try-out__btn');
      if ((await tryOut.innerText()).trim() === 'Try it out') await tryOut.click();
      await op.locator('tr[data-param-name="email"] input').fill(customer.email);
      await op.locator('button.execute').click();

      const live = op.locator('.live-responses-table');
      const status = live.locator('tr.response td.response-col_status').first();
      await status.waitFor();
      expect((await status.innerText()).trim()).toBe('200');
      const body = await live.locator('tr.response td.response-col_description pre').first().innerText();
      expect(body).toContain(customer.email);
      expect(body).toContain('Analytical Engines');
      // The request Swagger UI sent carried the token and the percent-encoded email.
      const curl = await op.locator('.curl-command').innerText();
      expect(curl).toContain(`Bearer ${token}`);
      expect(curl).toContain(encodeURIComponent(customer.email));

      expect(apiAnswers).toEqual([`GET /customers/${encodeURIComponent(customer.email)} 200`]);
      expect(offHost, 'every asset comes from this server').toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `swagger-ui-${dialect}.png`), fullPage: true }).catch(() => {});
      await page
        .locator('#operations-customers-customers-get')
        .screenshot({ path: path.join(ARTIFACTS, `swagger-ui-${dialect}-get-customer.png`) })
        .catch(() => {});
      await context.close();
    }
  }, 60_000);
});
