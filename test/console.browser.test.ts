/**
 * The web console in Chromium (Debian's, driven by playwright-core), against a real server:
 * a person's path (sign in, find a customer, open them, see an outside change arrive live, reload
 * and stay signed in, no token readable by a script), sign-out, every screen under axe-core at
 * 1280×800 and 390 px, keyboard-only use, the stale-version flow, API keys, webhooks, the audit
 * log, and what a `customer` sees. One browser and one server for the file. Skipped, with a
 * message, only when /usr/bin/chromium is absent.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_COOKIE } from '../server/http/console/session-cookie.js';
import { adminHeaders, signupCustomer } from './helpers/auth.js';
import { CHROMIUM, hasChromium, launchChromium } from './helpers/browser.js';
import { DESKTOP, expectAccessible, expectNoPageOverflow, openConsole, PHONE, screenshot, signIn } from './helpers/console-page.js';
import { customerPath, newCustomer, rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';
import { Receiver } from './helpers/webhook-receiver.js';

if (!hasChromium) console.warn(`console.browser.test.ts: SKIPPED, ${CHROMIUM} is absent (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)(`the console in Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install -y chromium)`}`, () => {
  let server: TestServer;
  let browser: Browser;
  let receiver: Receiver;
  let admin: Record<string, string>;

  beforeAll(async () => {
    [server, browser, receiver] = await Promise.all([startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }), launchChromium(), Receiver.start()]);
    admin = await adminHeaders(server);
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  const createCustomer = async (fields: Record<string, unknown>) => {
    const body = newCustomer(fields);
    const r = await rest(server.url, 'POST', '/customers', body, admin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { email: string; firstName: string; lastName: string; version: number };
  };
  const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  it("a person's path: sign in, find a customer, open them, see an outside change live, reload and stay signed in, no token readable by a script", async () => {
    const grace = await createCustomer({ email: `grace.${Date.now()}@example.com`, firstName: 'Grace', lastName: 'Hopper', company: 'Eckert-Mauchly' });
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/`);
      await heading(page, 'Sign in to Carly').waitFor();
      await expectAccessible(page, 'sign-in');
      await screenshot(page, 'sign-in');
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);

      for (const name of ['Customers', 'API keys', 'Webhooks', 'Audit log']) await nav(page, name).waitFor();
      await heading(page, 'Customers').waitFor();
      await page.getByRole('searchbox', { name: 'Search customers' }).fill('Hopp');
      await page.getByRole('link', { name: 'Grace Hopper', exact: true }).click();
      await heading(page, 'Grace Hopper').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/console/customers/${encodeURIComponent(grace.email)}`);
      await page
        .getByRole('status')
        .filter({ hasText: /^Live$/ })
        .waitFor();

      // A change made elsewhere (the REST API, as another tool would) appears on the open record.
      const patched = await rest(server.url, 'PATCH', customerPath(grace.email), { company: 'US Navy' }, admin);
      expect(patched.status).toBe(200);
      await page.getByText('US Navy', { exact: true }).waitFor();
      await page
        .getByText(`version ${grace.version + 1}`)
        .first()
        .waitFor();

      // Reload: the cookie gives a new access token; still signed in, still on the record.
      await page.reload();
      await heading(page, 'Grace Hopper').waitFor();

      // Nothing a script can read holds a token.
      const readable = (await page.evaluate(
        '({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length, html: document.documentElement.outerHTML })',
      )) as { cookie: string; local: number; session: number; html: string };
      expect(readable.cookie).toBe('');
      expect(readable.local).toBe(0);
      expect(readable.session).toBe(0);
      const cookies = await page.context().cookies();
      const refresh = cookies.find((c) => c.name === REFRESH_COOKIE)!;
      expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console/', secure: false });
      expect(readable.html).not.toContain(refresh.value);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('sign-out ends the session on the server and clears the cookie', async () => {
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      await heading(page, 'Customers').waitFor();
      const before = (await page.context().cookies()).find((c) => c.name === REFRESH_COOKIE)!;
      await page.getByRole('button', { name: 'Sign out' }).click();
      await heading(page, 'Sign in to Carly').waitFor();
      await page.getByText('You are signed out.').waitFor();
      expect((await page.context().cookies()).find((c) => c.name === REFRESH_COOKIE)).toBeUndefined();
      // The refresh token the cookie held is dead on the server too.
      const replay = await fetch(`${server.url}/console/session/refresh`, {
        method: 'POST',
        headers: { origin: server.url, cookie: `${REFRESH_COOKIE}=${before.value}` },
      });
      expect(replay.status).toBe(401);
      // A reload stays signed out.
      await page.reload();
      await heading(page, 'Sign in to Carly').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('is usable with the keyboard alone', async () => {
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/`);
      await heading(page, 'Sign in to Carly').waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.id')).toBe('email');
      await page.keyboard.type(TEST_ADMIN.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(TEST_ADMIN.password);
      await page.keyboard.press('Enter');
      await heading(page, 'Customers').waitFor();
      // Skip link, brand is text, then the navigation: Tab to "API keys" and follow it.
      for (let i = 0; i < 10 && (await page.evaluate('document.activeElement.textContent')) !== 'API keys'; i++) await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await heading(page, 'API keys').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('every admin screen passes axe at 1280×800 and at 390 px, with its empty and filled states', async () => {
    const ada = await createCustomer({
      firstName: 'Ada',
      lastName: 'Lovelace',
      metadata: { plan: 'pro' },
      address: { line1: '12 St James Sq', city: 'London', country: 'GB' },
    });
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      const screens: [string, () => Promise<void>][] = [
        [
          'customers',
          async () => {
            await nav(page, 'Customers').click();
            await heading(page, 'Customers').waitFor();
            await page.getByRole('link', { name: 'Ada Lovelace' }).first().waitFor();
          },
        ],
        [
          'customers-empty-search',
          async () => {
            await page.getByRole('searchbox', { name: 'Search customers' }).fill('zzzznobody');
            await page.getByText('No customer matches “zzzznobody”.').waitFor();
            await page.getByRole('searchbox', { name: 'Search customers' }).fill('');
          },
        ],
        [
          'customer',
          async () => {
            await page.goto(`${server.url}/console${customerPath(ada.email)}`);
            await heading(page, 'Ada Lovelace').waitFor();
            await page.getByRole('cell', { name: 'customer.created (success)' }).waitFor();
          },
        ],
        [
          'customer-new',
          async () => {
            await nav(page, 'Customers').click();
            await page.getByRole('link', { name: 'New customer' }).click();
            await heading(page, 'New customer').waitFor();
          },
        ],
        [
          'api-keys',
          async () => {
            await nav(page, 'API keys').click();
            await heading(page, 'API keys').waitFor();
          },
        ],
        [
          'webhooks',
          async () => {
            await nav(page, 'Webhooks').click();
            await heading(page, 'Webhooks').waitFor();
          },
        ],
        [
          'audit-log',
          async () => {
            await nav(page, 'Audit log').click();
            await heading(page, 'Audit log').waitFor();
            await page.getByRole('cell', { name: 'auth.login' }).first().waitFor();
          },
        ],
      ];
      for (const [name, open] of screens) {
        await page.setViewportSize(DESKTOP);
        await open();
        await expectAccessible(page, name);
        await screenshot(page, name);
        await page.setViewportSize(PHONE);
        await expectAccessible(page, `${name} at 390 px`);
        await expectNoPageOverflow(page, `${name} at 390 px`);
        if (name === 'customer') await screenshot(page, 'customer-phone');
      }
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('creates a customer with the shared schema messages, edits it, shows a stale version beside the current one, reapplies, exports and erases', async () => {
    const { page, problems, close } = await openConsole(browser, server.url);
    const email = `lin.${Date.now()}@example.com`;
    try {
      await page.goto(`${server.url}/console/customers/new`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      await heading(page, 'New customer').waitFor();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Country (two letters, e.g. GB)').fill('XX');
      await page.getByLabel('Address line 1').fill('1 Infinite Loop');
      await page.getByLabel('City').fill('Cupertino');
      await page.getByRole('button', { name: 'Create customer' }).click();
      // The SDK's zod schema's own words, beside their fields.
      await page.getByText('firstName must not be empty').waitFor();
      await page.getByText('Must be an ISO 3166-1 alpha-2 country code').waitFor();
      expect(await page.getByLabel('First name').getAttribute('aria-invalid')).toBe('true');
      await expectAccessible(page, 'customer form with errors');
      await screenshot(page, 'customer-new-errors');
      expect((await rest(server.url, 'GET', customerPath(email), undefined, admin)).status).toBe(404);

      await page.getByLabel('First name').fill('Lin');
      await page.getByLabel('Last name').fill('Bai');
      await page.getByLabel('Country (two letters, e.g. GB)').fill('US');
      await page.getByRole('button', { name: 'Create customer' }).click();
      await heading(page, 'Lin Bai').waitFor();

      // Edit, while someone else changes the record: a 409, both versions shown, then reapply.
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Company').fill('Mine Ltd');
      const theirs = await rest(server.url, 'PATCH', customerPath(email), { phone: '+1 555 0100' }, admin);
      expect(theirs.status).toBe(200);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('heading', { name: 'Someone else changed this customer' }).waitFor();
      await page.getByRole('row', { name: /company Mine Ltd —/ }).waitFor();
      await expectAccessible(page, 'stale version');
      await screenshot(page, 'customer-conflict');
      await page.getByRole('button', { name: 'Reapply my changes' }).click();
      // Saved: the conflict panel is gone and the record shows version 3 (the panel also says "Mine Ltd").
      await page.getByRole('heading', { name: 'Someone else changed this customer' }).waitFor({ state: 'detached' });
      await page.getByText(`${email} · version 3`).waitFor();
      const saved = await rest(server.url, 'GET', customerPath(email), undefined, admin);
      expect(saved.body).toMatchObject({ company: 'Mine Ltd', phone: '+1 555 0100', version: 3 });

      // The person's data export, with their events.
      await page.getByRole('button', { name: 'Export data' }).click();
      await page.getByRole('link', { name: 'Download the export (JSON)' }).waitFor();
      await page.getByRole('region', { name: 'Change events' }).getByRole('cell', { name: 'customer.created', exact: true }).waitFor();

      // Erase: only with the email typed again.
      const erase = page.getByRole('button', { name: 'Erase personal data' });
      expect(await erase.isDisabled()).toBe(true);
      await page.getByLabel('Type the email to erase this person').fill(email);
      await erase.click();
      await heading(page, 'Customers').waitFor();
      expect((await rest(server.url, 'GET', customerPath(email), undefined, admin)).status).toBe(404);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it("manages API keys (secret shown once) and webhooks (test delivery with the receiver's answer, rotate, disable), and filters the audit log", async () => {
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/api-keys`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      await heading(page, 'API keys').waitFor();
      await page.getByLabel('Name').fill('billing job');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.getByText('Give the key at least one scope').waitFor();
      await page.getByLabel('customers:read').check();
      await page.getByRole('button', { name: 'Create key' }).click();
      const secret = await page.getByLabel('Secret of “billing job”').inputValue();
      expect(secret).toMatch(/^carly_sk_/);
      await page.getByRole('button', { name: 'Copy' }).waitFor();
      await expectAccessible(page, 'api key created');
      await screenshot(page, 'api-keys-created');
      expect((await rest(server.url, 'GET', '/customers?limit=1', undefined, { authorization: `Bearer ${secret}` })).status).toBe(200);
      await page.getByRole('button', { name: 'Revoke billing job' }).click();
      await page.getByText(/^revoked /).waitFor();
      expect((await rest(server.url, 'GET', '/customers?limit=1', undefined, { authorization: `Bearer ${secret}` })).status).toBe(401);

      await nav(page, 'Webhooks').click();
      await page.getByLabel('Receiver URL').fill(receiver.url());
      await page.getByRole('button', { name: 'Create webhook' }).click();
      expect(await page.getByLabel(/^Signing secret of/).inputValue()).toMatch(/^whsec_/);
      await page.getByRole('link', { name: receiver.url() }).click();
      await heading(page, `Webhook to ${receiver.url()}`).waitFor();
      await page.getByRole('button', { name: 'Send a test event' }).click();
      await page.getByRole('cell', { name: '200', exact: true }).waitFor({ timeout: 20_000 });
      await page.getByRole('cell', { name: 'succeeded' }).waitFor();
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      expect(await page.getByLabel(/^New signing secret/).inputValue()).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByRole('button', { name: 'Enable' }).waitFor();
      await expectAccessible(page, 'webhook');
      await screenshot(page, 'webhook');

      await nav(page, 'Audit log').click();
      await page.getByLabel('Action (e.g. auth.*)').fill('apiKey*');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByRole('cell', { name: 'apiKey.revoked' }).waitFor();
      const actions = await page.locator('tbody tr td:nth-child(2)').allTextContents();
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((a) => !a.startsWith('apiKey'))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a customer who signs in sees only their own record, their sessions and their export', async () => {
    const person = await signupCustomer(server, { firstName: 'Katherine', lastName: 'Johnson' });
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/`);
      await signIn(page, person.email, person.password);
      await heading(page, 'Katherine Johnson').waitFor();
      expect(await page.getByRole('link', { name: 'Customers' }).count()).toBe(0);
      await nav(page, 'My record').waitFor();
      await page.getByRole('heading', { name: 'Your sessions' }).waitFor();
      await page.getByRole('cell', { name: 'This session' }).waitFor();
      await page.getByRole('button', { name: 'Export data' }).waitFor();
      await expectAccessible(page, 'customer view');
      await screenshot(page, 'customer-self');
      await page.goto(`${server.url}/console/customers`);
      await heading(page, 'Page not found').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
