import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BulkImportRow, createCarlyClient, isCarlyError } from '../client-sdk/src/index.js';
import { adminHeaders } from './helpers/auth.js';
import { createKey, visibilityBarrier } from './helpers/events.js';
import { newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

/* The SDK's bulk calls against a real server: rows streamed in, customers streamed out, typed. */

describe('SDK: customers.bulkImport and customers.bulkExport', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  beforeAll(async () => {
    server = await startServer();
    admin = await adminHeaders(server);
  });
  afterAll(() => server.close());

  it('streams rows in from an async generator, then exports them typed with the cursor of the snapshot', async () => {
    const key = await createKey(server.url, admin, ['customers:write', 'customers:export', 'events:read']);
    const carly = createCarlyClient({ url: server.url, apiKey: key });
    const emails: string[] = [];
    async function* rows(): AsyncGenerator<BulkImportRow> {
      for (let i = 0; i < 250; i++) {
        const c = newCustomer();
        emails.push(c.email);
        yield { ...c, createdAt: new Date(Date.UTC(2020, 0, 1 + i)) };
      }
      yield { email: 'broken', firstName: 'x', lastName: 'y' };
    }
    const report = await carly.customers.bulkImport(rows(), { idempotencyKey: `sdk-${Date.now()}` });
    expect(report).toMatchObject({ read: 251, inserted: 250, rejected: 1, rejects: [{ line: 251 }] });

    await visibilityBarrier();
    const exported = await carly.customers.bulkExport();
    expect(exported.eventsAfter).toMatch(/^evt_\d+$/);
    const seen = new Map<string, Date>();
    for await (const c of exported.customers) seen.set(c.email, c.createdAt);
    for (const email of emails) expect(seen.get(email)).toBeInstanceOf(Date);
    expect(seen.get(emails[0]!)!.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    // The cursor leads to what changed after the snapshot only.
    const page = await carly.events.list({ after: exported.eventsAfter! });
    expect(page.items).toEqual([]);
  });

  it('leaving the loop early ends the export; errors are CarlyErrors with the server code', async () => {
    const carly = createCarlyClient({ url: server.url, apiKey: await createKey(server.url, admin, ['customers:export']) });
    const exported = await carly.customers.bulkExport();
    let n = 0;
    for await (const _ of exported.customers) if (++n === 3) break;
    expect(n).toBe(3);
    const reader = createCarlyClient({ url: server.url, apiKey: await createKey(server.url, admin, ['customers:read']) });
    const err = await reader.customers.bulkExport().catch((e: unknown) => e);
    expect(isCarlyError(err) && [err.code, err.status, err.procedure]).toEqual(['FORBIDDEN', 403, 'customers.bulkExport']);
    const refused = await reader.customers.bulkImport([newCustomer()]).catch((e: unknown) => e);
    expect(isCarlyError(refused) && refused.code).toBe('FORBIDDEN');
    expect((await rest(server.url, 'GET', '/customers?limit=1', undefined, admin)).status).toBe(200);
  });
});
