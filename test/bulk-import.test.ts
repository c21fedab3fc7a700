import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarlyEvent } from '../client-sdk/src/schemas/events.js';
import { auditRows } from './helpers/audit.js';
import { adminHeaders } from './helpers/auth.js';
import { allEvents, createKey, headOf, visibilityBarrier, waitFor } from './helpers/events.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';
import { Receiver, verifyReceived } from './helpers/webhook-receiver.js';

/*
 * POST /customers/import over real HTTP on a real database (SQLite file, or PostgreSQL in the
 * postgresql project): the report, per-row events, omitted fields kept, rejects, Idempotency-Key,
 * scopes, media types, limits, a client that goes away mid-body, and webhook delivery of imported rows.
 */

const ndjson = (rows: unknown[]) => `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;

async function importBody(server: TestServer, headers: Record<string, string>, body: string, contentType = 'application/x-ndjson') {
  return rest(server.url, 'POST', '/customers/import', body, { ...headers, 'content-type': contentType });
}

async function eventsSince(server: TestServer, headers: Record<string, string>, after: string | null): Promise<CarlyEvent[]> {
  await visibilityBarrier();
  return allEvents(server.url, headers, after);
}

describe('POST /customers/import', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  beforeAll(async () => {
    server = await startServer({ IMPORT_MAX_BYTES: String(64 * 1024) });
    admin = await adminHeaders(server);
  });
  afterAll(() => server.close());

  it('imports NDJSON: inserts, updates the carried fields only, counts unchanged rows, one event per row changed, then customers.imported', async () => {
    const existing = newCustomer({ phone: '+44 20 7946 0958', company: 'Old Co', metadata: { tier: 'gold' } });
    expect((await rest(server.url, 'POST', '/customers', existing, admin)).status).toBe(200);
    const fresh = newCustomer({ createdAt: '2019-03-04T05:06:07.089Z', address: { line1: '1 Way', city: 'Leeds', country: 'gb' } });
    const start = await headOf(server.url, admin);
    const body = ndjson([
      fresh,
      '',
      { email: existing.email, firstName: existing.firstName, lastName: existing.lastName, company: 'New Co' },
      { email: existing.email, firstName: existing.firstName, lastName: existing.lastName },
      '{"email": broken',
      { email: 'not-an-email', firstName: 'A', lastName: 'B' },
    ]);
    const r = await importBody(server, admin, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ read: 5, inserted: 1, updated: 1, unchanged: 1, rejected: 2 });
    expect(r.body.importId).toMatch(/^imp_[0-9a-f]{24}$/);
    expect(r.body.rejects.map((x: { line: number }) => x.line)).toEqual([5, 6]);
    expect(r.body.rejects[0].message).toMatch(/not valid JSON/);
    expect(r.body.rejects[1].message).toMatch(/^email: /);

    const updated = await rest(server.url, 'GET', customerPath(existing.email), undefined, admin);
    // Omitted fields are kept; the carried one replaced.
    expect(updated.body).toMatchObject({ company: 'New Co', phone: '+44 20 7946 0958', metadata: { tier: 'gold' }, version: 2 });
    const created = await rest(server.url, 'GET', customerPath(fresh.email), undefined, admin);
    expect(created.body).toMatchObject({ createdAt: '2019-03-04T05:06:07.089Z', address: { country: 'GB' }, version: 1 });

    const events = await eventsSince(server, admin, start);
    expect(events.map((e) => [e.type, e.customer?.email ?? null, e.changed])).toEqual([
      ['customer.created', fresh.email, ['email', 'firstName', 'lastName', 'address']],
      ['customer.updated', existing.email, ['company']],
      ['customers.imported', null, []],
    ]);
    expect(events[0]!.customer!.id).toBe(created.body.id);
    expect(events[1]!.customer!.version).toBe(2);
    expect(events[2]!.data).toEqual({ read: 5, inserted: 1, updated: 1, unchanged: 1, rejected: 2, complete: 1 });
    for (const e of events) expect(e.actor).toMatchObject({ type: 'user' });
    expect(new Set(events.map((e) => e.requestId)).size).toBe(1);

    const [entry] = await auditRows(server, "action = 'customers.imported' and target_id = $1", [r.body.importId]);
    expect(entry).toMatchObject({ outcome: 'success', targetType: 'import' });
    const listed = await rest(server.url, 'GET', `/audit?action=customers.imported&target=${r.body.importId}`, undefined, admin);
    expect(listed.body.items[0].details).toEqual({ importId: r.body.importId, read: 5, inserted: 1, updated: 1, unchanged: 1, rejected: 2, complete: 1 });
  });

  it('takes a JSON array too; a malformed array keeps the rows before the problem and reports it as the last reject', async () => {
    const a = newCustomer();
    const b = newCustomer();
    const ok = await importBody(server, admin, JSON.stringify([a, { email: 'x' }]), 'application/json');
    expect(ok.body).toMatchObject({ read: 2, inserted: 1, rejected: 1, rejects: [{ line: 2 }] });
    const broken = await importBody(server, admin, `[${JSON.stringify(b)}, {"email": "c@example.com"`, 'application/json; charset=utf-8');
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({ read: 2, inserted: 1, rejected: 1 });
    expect(broken.body.rejects[0]).toMatchObject({ line: 2 });
    expect(broken.body.rejects[0].message).toMatch(/not closed|truncated/);
    expect((await rest(server.url, 'GET', customerPath(b.email), undefined, admin)).status).toBe(200);
  });

  it('lists at most 1,000 rejects and counts them all', async () => {
    const lines = Array.from({ length: 1005 }, (_, i) => `{"email":"bad${i}","firstName":"x","lastName":"y"}`);
    const r = await importBody(server, admin, ndjson(lines));
    expect(r.body).toMatchObject({ read: 1005, rejected: 1005, inserted: 0 });
    expect(r.body.rejects).toHaveLength(1000);
    expect(r.body.rejects[999].line).toBe(1000);
  });

  it('refuses another content type with 415, a declared length over IMPORT_MAX_BYTES with 413, and changes nothing', async () => {
    const c = newCustomer();
    const start = await headOf(server.url, admin);
    const text = await importBody(server, admin, JSON.stringify(c), 'text/plain');
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await importBody(server, admin, ndjson(Array.from({ length: 1200 }, () => newCustomer())));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await rest(server.url, 'GET', customerPath(c.email), undefined, admin)).status).toBe(404);
    expect(await eventsSince(server, admin, start)).toEqual([]);
  });

  it('reads more than the 1 MiB body limit of other routes when IMPORT_MAX_BYTES allows it', async () => {
    const roomy = await startServer({ IMPORT_MAX_BYTES: String(4 * 1024 * 1024) });
    try {
      const headers = await adminHeaders(roomy);
      const rows = Array.from({ length: 6000 }, (_, i) =>
        newCustomer({ company: `Company number ${i} with a name long enough to pass 1 MiB`, metadata: { n: String(i) } }),
      );
      const body = ndjson(rows);
      expect(body.length).toBeGreaterThan(1024 * 1024);
      const r = await importBody(roomy, headers, body);
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
      expect(r.body).toMatchObject({ read: 6000, inserted: 6000, rejected: 0 });
    } finally {
      await roomy.close();
    }
  });

  it('needs admin or customers:write; customers:read is refused with 403 and nothing changes', async () => {
    const reader = await createKey(server.url, admin, ['customers:read']);
    const writer = await createKey(server.url, admin, ['customers:write']);
    const c = newCustomer();
    const refused = await importBody(server, { authorization: `Bearer ${reader}` }, ndjson([c]));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/customers:write/);
    expect((await importBody(server, {}, ndjson([c]))).status).toBe(401);
    expect((await rest(server.url, 'GET', customerPath(c.email), undefined, admin)).status).toBe(404);
    const ok = await importBody(server, { authorization: `Bearer ${writer}` }, ndjson([c]));
    expect(ok.body).toMatchObject({ inserted: 1 });
  });

  it('Idempotency-Key: a retry gets the stored report and applies nothing twice; another body → 422', async () => {
    const rows = [newCustomer(), newCustomer()];
    const key = `import-${Date.now()}`;
    const keyed = { ...admin, 'idempotency-key': key };
    const start = await headOf(server.url, admin);
    const first = await importBody(server, keyed, ndjson(rows));
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const afterFirst = await eventsSince(server, admin, start);
    const retry = await importBody(server, keyed, ndjson(rows));
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await eventsSince(server, admin, start)).toEqual(afterFirst);
    const other = await importBody(server, keyed, ndjson([newCustomer()]));
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('UNPROCESSABLE_CONTENT');
  });

  it('a client that goes away mid-body: the batches read so far stay, recorded in the log and the audit entry', async () => {
    const rows = Array.from({ length: 300 }, () => newCustomer());
    const start = await headOf(server.url, admin);
    const url = new URL('/customers/import', server.url);
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'POST', headers: { ...admin, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(ndjson(rows));
      // Half a row, then the connection drops.
      req.write('{"email":"half');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 500);
    });
    await waitFor(
      'the import to record its end',
      async () => (await auditRows(server, "action = 'customers.imported' and outcome = 'failure'")).length > 0,
      20_000,
    );
    const [entry] = await auditRows(server, "action = 'customers.imported' and outcome = 'failure'");
    const listed = await rest(server.url, 'GET', `/audit?action=customers.imported&target=${entry!.targetId}`, undefined, admin);
    expect(listed.body.items[0].details).toMatchObject({ inserted: 300, complete: 0 });
    expect((await rest(server.url, 'GET', customerPath(rows[299]!.email), undefined, admin)).status).toBe(200);
    const events = await eventsSince(server, admin, start);
    expect(events.filter((e) => e.type === 'customer.created')).toHaveLength(300);
    expect(events[events.length - 1]).toMatchObject({ type: 'customers.imported', data: { inserted: 300, complete: 0 } });
  });
});

describe('POST /customers/import: webhooks', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await Receiver.start();
    server = await startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    admin = await adminHeaders(server);
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('delivers each imported row as a signed customer.created / customer.updated webhook', async () => {
    const hook = await rest(server.url, 'POST', '/webhooks', { url: receiver.url('/hook'), events: ['customer.created', 'customer.updated'] }, admin);
    expect(hook.status, JSON.stringify(hook.body)).toBe(200);
    const rows = Array.from({ length: 40 }, () => newCustomer());
    const r = await importBody(server, admin, ndjson([...rows, { ...rows[0], company: 'Changed' }]));
    expect(r.body).toMatchObject({ inserted: 40, updated: 1 });
    await waitFor('41 deliveries', () => receiver.received.length >= 41, 30_000);
    const payloads = receiver.received.map((got) => verifyReceived(hook.body.secret, got));
    expect(
      payloads
        .filter((p) => p.type === 'customer.created')
        .map((p) => p.data.customer.email)
        .sort(),
    ).toEqual(rows.map((c) => c.email).sort());
    expect(payloads.filter((p) => p.type === 'customer.updated').map((p) => [p.data.customer.email, p.data.changed])).toEqual([[rows[0]!.email, ['company']]]);
  });
});
