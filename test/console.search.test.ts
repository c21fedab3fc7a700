/**
 * The console in Chromium, finding and moving customers: `customers.search` as a person types
 * (free text) and through the advanced `query` field (a typo pointed at in the page before any
 * request; the server's 400 shown in words too), paging by `nextCursor`; the bulk export downloaded
 * through the page (fetch with the in-memory token, Blob, object URL: the CSP holds); a webhook
 * delivery resent from its page; a customer ending one of their own other sessions. Skipped, with a
 * message, only when /usr/bin/chromium is absent.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, bearer, login, signupCustomer } from './helpers/auth.js';
import { CHROMIUM, hasChromium, launchChromium } from './helpers/browser.js';
import { expectAccessible, openConsole, screenshot, signIn } from './helpers/console-page.js';
import { waitFor } from './helpers/events.js';
import { rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';
import { Receiver } from './helpers/webhook-receiver.js';

if (!hasChromium) console.warn(`console.search.test.ts: SKIPPED, ${CHROMIUM} is absent (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)(`the console's search, bulk export and resend in Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} is absent)`}`, () => {
  let server: TestServer;
  let browser: Browser;
  let receiver: Receiver;
  let admin: Record<string, string>;
  const run = Date.now().toString(36);
  /** 30 customers of one company (more than a page of 25), and two to find by name. */
  const company = `Pageco${run}`;
  const paged: string[] = [];

  beforeAll(async () => {
    [server, browser, receiver] = await Promise.all([
      startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }),
      launchChromium(),
      Receiver.start(() => ({ status: 200, body: '{"received":true}', headers: { 'content-type': 'application/json' } })),
    ]);
    admin = await adminHeaders(server);
    for (let i = 0; i < 30; i++) {
      const r = await rest(
        server.url,
        'POST',
        '/customers',
        { email: `paged${i}.${run}@example.com`, firstName: 'Paged', lastName: `Number${i}`, company },
        admin,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      paged.push(r.body.email as string);
    }
    for (const body of [
      { email: `muller.${run}@example.com`, firstName: 'Jürgen', lastName: 'Müller', address: { line1: '1 Hauptstr', city: 'Berlin', country: 'DE' } },
      { email: `lovelace.${run}@example.com`, firstName: 'Ada', lastName: 'Lovelace', address: { line1: '12 St James Sq', city: 'London', country: 'GB' } },
    ]) {
      expect((await rest(server.url, 'POST', '/customers', body, admin)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });
  const customersTable = (page: Page) => page.getByRole('region', { name: 'Customers', exact: true });
  const rowCount = (page: Page) => customersTable(page).locator('tbody tr').count();
  /** The tRPC requests a page makes for one procedure (a batch names every procedure in its path). */
  const callsTo = (page: Page, procedure: string) => {
    const seen: string[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.includes(procedure)) seen.push(req.url());
    });
    return seen;
  };

  it('searches with q as the person types and with the advanced query, checked in the page before sending, paged by nextCursor', async () => {
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      const searches = callsTo(page, 'customers.search');
      await page.goto(`${server.url}/console/customers`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      await heading(page, 'Customers').waitFor();
      // Nothing searched: the plain list, no search call.
      await customersTable(page).waitFor();
      expect(searches).toEqual([]);

      // Free text, with a typo (one edit from "lovelace"): customers.search with q.
      await page.getByRole('searchbox', { name: 'Search customers' }).fill('lovelase');
      // (The plain list stays on screen until the search answers: wait for the one row.)
      await expect.poll(() => rowCount(page)).toBe(1);
      await page.getByRole('link', { name: 'Ada Lovelace', exact: true }).waitFor();
      expect(searches.length).toBeGreaterThan(0);
      expect(searches.every((url) => !url.includes(encodeURIComponent('"query"')))).toBe(true);
      await page.getByRole('searchbox', { name: 'Search customers' }).fill('');
      // Back to the plain list (a full page: the set-up made more than 25 customers) once the
      // cleared field has settled (250 ms). Until then the "lovelase" search is still the active
      // query, and a refetch of it (the live feed marks customer queries stale on any change) is
      // fair: a CI run on PostgreSQL counted one after the count below.
      await expect.poll(() => rowCount(page)).toBe(25);

      // A malformed query: the SDK's parser names the position, and nothing is sent.
      const before = searches.length;
      const field = page.getByLabel('Advanced query');
      await field.fill('name~');
      await page.getByRole('button', { name: 'Apply query' }).click();
      await page.getByText('Query position 6: expected a value after "~"').waitFor();
      expect(await field.getAttribute('aria-invalid')).toBe('true');
      await expectAccessible(page, 'customers with a query error');
      await screenshot(page, 'customers-query-error');
      expect(searches.length).toBe(before);

      // A good one: contains, folded (mull finds Müller), then a company that spans two pages.
      await field.fill('name~mull');
      await page.getByRole('button', { name: 'Apply query' }).click();
      await expect.poll(() => rowCount(page)).toBe(1);
      await page.getByRole('link', { name: 'Jürgen Müller', exact: true }).waitFor();
      expect(await field.getAttribute('aria-invalid')).toBeNull();

      await field.fill(`company:${company.toLowerCase()}`);
      await page.getByRole('button', { name: 'Apply query' }).click();
      await page.getByRole('link', { name: 'Paged Number29', exact: true }).waitFor();
      await expect.poll(() => rowCount(page)).toBe(25);
      await screenshot(page, 'customers-search');
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByRole('link', { name: 'Paged Number0', exact: true }).waitFor();
      await expect.poll(() => rowCount(page)).toBe(5);
      expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Previous page' }).click();
      await page.getByRole('link', { name: 'Paged Number29', exact: true }).waitFor();

      // q and query together: both must hold (Ada is not of that company).
      await page.getByRole('searchbox', { name: 'Search customers' }).fill('ada');
      await page.getByText(`No customer matches “ada” and the query company:${company.toLowerCase()}.`).waitFor();

      // The server's own 400 (more than 20 words of free text) is shown in words, beside the field.
      await page.getByRole('button', { name: 'Clear query' }).click();
      const words = Array.from({ length: 21 }, (_, i) => `w${i}`).join(' ');
      await page.getByRole('searchbox', { name: 'Search customers' }).fill(words);
      await page.getByRole('alert').filter({ hasText: 'q has at most 20 words' }).waitFor();
      expect(await page.getByRole('searchbox', { name: 'Search customers' }).getAttribute('aria-invalid')).toBe('true');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('downloads the bulk export of the query in CSV and NDJSON with the in-memory token', async () => {
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/customers`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      await heading(page, 'Customers').waitFor();
      await page.getByLabel('Advanced query').fill(`company:${company.toLowerCase()}`);
      await page.getByRole('button', { name: 'Apply query' }).click();
      await page.getByRole('link', { name: 'Paged Number29', exact: true }).waitFor();

      const save = async () => {
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download export' }).click()]);
        return { name: download.suggestedFilename(), text: fs.readFileSync((await download.path())!, 'utf8') };
      };
      const csv = await save();
      expect(csv.name).toMatch(/^carly-customers-\d{4}-\d{2}-\d{2}\.csv$/);
      const lines = csv.text.trim().split(/\r?\n/);
      expect(lines[0]).toContain('email');
      expect(lines.length).toBe(31);
      expect(
        lines
          .slice(1)
          .map((l) => paged.find((e) => l.includes(e)))
          .sort(),
      ).toEqual([...paged].sort());
      await page
        .getByRole('status')
        .filter({ hasText: /^Saved carly-customers-.*\.csv/ })
        .waitFor();

      await page.getByLabel('NDJSON (one JSON customer a line)').check();
      const ndjson = await save();
      expect(ndjson.name).toMatch(/\.ndjson$/);
      const rows = ndjson.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { email: string; company: string });
      expect(rows.map((r) => r.email).sort()).toEqual([...paged].sort());
      expect(new Set(rows.map((r) => r.company))).toEqual(new Set([company]));
      await expectAccessible(page, 'customers with the export');

      // Each download is an audited export (written as its stream ends).
      await waitFor('two export audit entries', async () => {
        const audit = await rest(server.url, 'GET', '/audit?action=customers.exported&limit=5', undefined, admin);
        return audit.status === 200 && audit.body.items.length === 2;
      });
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it("resends a webhook delivery from its page and shows each attempt with the receiver's answer", async () => {
    const created = await rest(server.url, 'POST', '/webhooks', { url: receiver.url(), events: ['customer.deleted'] }, admin);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const id = created.body.webhook.id as string;
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/webhooks/${id}`);
      await signIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
      await heading(page, `Webhook to ${receiver.url()}`).waitFor();
      await page.getByRole('button', { name: 'Send a test event' }).click();
      await page.getByRole('cell', { name: '200', exact: true }).waitFor({ timeout: 20_000 });
      await receiver.waitFor((r) => r.length === 1);
      const resend = page.getByRole('button', { name: /^Resend delivery dlv_/ });
      expect(await resend.count()).toBe(1);
      await resend.click();
      await page
        .getByRole('status')
        .filter({ hasText: /attempt 2 appears below/ })
        .waitFor();
      // The new attempt appears by itself (the page follows the resent delivery).
      const table = page.getByRole('region', { name: 'Deliveries', exact: true }).last();
      await table.getByRole('cell', { name: '2', exact: true }).waitFor({ timeout: 20_000 });
      await receiver.waitFor((r) => r.length === 2);
      // The same event both times (receivers deduplicate on webhook-id).
      expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
      expect(await table.locator('tbody tr').count()).toBe(2);
      // One Resend per delivery (on its newest attempt), and the answer body of each attempt.
      expect(await page.getByRole('button', { name: /^Resend delivery dlv_/ }).count()).toBe(1);
      await table.getByText('Body, 17 characters').first().click();
      await table.getByText('{"received":true}').first().waitFor();
      await expectAccessible(page, 'webhook with a resent delivery');
      await screenshot(page, 'webhook-resent');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a customer sees only their own record and ends one of their other sessions', async () => {
    const person = await signupCustomer(server, { firstName: 'Dorothy', lastName: 'Vaughan' });
    const other = await login(server, person.email, person.password);
    const { page, problems, close } = await openConsole(browser, server.url);
    try {
      await page.goto(`${server.url}/console/`);
      await signIn(page, person.email, person.password);
      await heading(page, 'Dorothy Vaughan').waitFor();
      expect(await page.getByRole('link', { name: 'Customers' }).count()).toBe(0);
      const sessions = page.getByRole('region', { name: 'Your sessions', exact: true }).last();
      await sessions.getByRole('cell', { name: 'This session' }).waitFor();
      // The signup's session and the login above: two others, each with its Revoke.
      expect(await sessions.getByRole('button', { name: /^Revoke the session/ }).count()).toBe(2);
      expect((await rest(server.url, 'GET', '/auth/me', undefined, bearer(other.accessToken))).status).toBe(200);
      await sessions
        .getByRole('button', { name: /^Revoke the session/ })
        .first()
        .click();
      // Polled from the test (a string predicate would be eval'd in the page, which its CSP forbids).
      await expect.poll(() => sessions.getByRole('button', { name: /^Revoke the session/ }).count(), { timeout: 15_000 }).toBe(1);
      const [a, b] = await Promise.all([
        rest(server.url, 'GET', '/auth/me', undefined, bearer(other.accessToken)),
        rest(server.url, 'GET', '/auth/me', undefined, bearer(person.tokens.accessToken)),
      ]);
      // Exactly one of the two other sessions ended (the newest is listed first).
      expect([a.status, b.status].sort()).toEqual([200, 401]);
      // Another customer's record is not theirs to open.
      await page.goto(`${server.url}/console/customers/${encodeURIComponent(paged[0]!)}`);
      await heading(page, 'Page not found').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
