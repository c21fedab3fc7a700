import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Customer } from '../client-sdk/src/schemas/customer.js';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { allEvents, createKey, sleep, visibilityBarrier, waitFor } from './helpers/events.js';
import { validateResponse } from './helpers/openapi-validate.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

/*
 * GET /customers/export over real HTTP on a real database (SQLite file, or PostgreSQL in the
 * postgresql project): formats, gzip, scopes, audit, the handoff to the event log while others
 * write, backpressure, and a client that goes away (the snapshot ends at once).
 */

type Json = Record<string, any>;

/** A raw GET whose body the test reads when it wants (or never): headers first. */
function openExport(server: TestServer, headers: Record<string, string>, query = '') {
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    // A connection of its own (no keep-alive pool), so the test can find the server's end of it.
    const req = http.get(new URL(`/customers/export${query}`, server.url), { headers, agent: false }, resolve);
    req.on('error', reject);
  });
}

async function readAll(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const lines = (body: string) =>
  body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Json);

/** RFC 4180: quoted fields with doubled quotes, CRLF line ends. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      (row = []), (field = ''), i++;
    } else field += c;
  }
  expect(field === '' && row.length === 0, 'the CSV ends with CRLF').toBe(true);
  return rows;
}

async function importRows(server: TestServer, admin: Record<string, string>, rows: unknown[]) {
  const r = await rest(server.url, 'POST', '/customers/import', rows.map((x) => JSON.stringify(x)).join('\n'), {
    ...admin,
    'content-type': 'application/x-ndjson',
  });
  expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
  expect(r.body.rejected).toBe(0);
}

describe('GET /customers/export', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  let fat = false;
  /** About 25 MB of customers (50 metadata entries of 500 characters each): more than any socket buffer holds. */
  const addFatCustomers = async () => {
    if (fat) return;
    fat = true;
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, 'x'.repeat(500)]));
    for (let batch = 0; batch < 5; batch++)
      await importRows(
        server,
        admin,
        Array.from({ length: 200 }, () => newCustomer({ metadata })),
      );
  };
  beforeAll(async () => {
    server = await startServer();
    admin = await adminHeaders(server);
  });
  afterAll(() => server.close());

  it('streams every customer as NDJSON in the REST shape, with the event cursor of its snapshot', async () => {
    const c = newCustomer({ company: 'Acme, "Quoted"', address: { line1: '1 Way', city: 'Leeds', country: 'GB' }, metadata: { k: 'v' } });
    expect((await rest(server.url, 'POST', '/customers', c, admin)).status).toBe(200);
    await visibilityBarrier();
    const res = await fetch(`${server.url}/customers/export`, { headers: { ...admin, 'accept-encoding': 'identity' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBeNull();
    const items = lines(await res.text());
    for (const item of items) validateResponse('GET', '/customers/export', 200, item, { headers: res.headers });
    const listed = await rest(server.url, 'GET', '/customers?limit=200', undefined, admin);
    expect(items.map((i) => i.email).sort()).toEqual(listed.body.items.map((i: Customer) => i.email).sort());
    expect(items.find((i) => i.email === c.email)).toEqual((await rest(server.url, 'GET', customerPath(c.email), undefined, admin)).body);
    const head = await rest(server.url, 'GET', '/events?limit=500', undefined, admin);
    expect(res.headers.get('carly-events-after')).toBe(head.body.nextCursor);
  });

  it('CSV: RFC 4180 with a header row, address.* flattened, metadata as JSON, and formula cells guarded', async () => {
    const tricky = newCustomer({
      firstName: '=HYPERLINK("http://evil.example","x")',
      lastName: '@SUM(A1)',
      phone: '+44 20 7946 0958',
      company: 'Line one\nline two, "quoted"',
      address: { line1: '-1 Minus St', city: 'Leeds', country: 'GB' },
      metadata: { note: '=cmd', b: 'x' },
    });
    expect((await rest(server.url, 'POST', '/customers', tricky, admin)).status).toBe(200);
    const res = await fetch(`${server.url}/customers/export?format=csv`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual([
      'id',
      'email',
      'firstName',
      'lastName',
      'phone',
      'company',
      'address.line1',
      'address.line2',
      'address.city',
      'address.region',
      'address.postalCode',
      'address.country',
      'metadata',
      'createdAt',
      'updatedAt',
      'version',
    ]);
    const row = rows.find((r) => r[1] === tricky.email)!;
    const stored = (await rest(server.url, 'GET', customerPath(tricky.email), undefined, admin)).body;
    expect(row).toEqual([
      stored.id,
      tricky.email,
      `'=HYPERLINK("http://evil.example","x")`,
      `'@SUM(A1)`,
      `'+44 20 7946 0958`,
      'Line one\nline two, "quoted"',
      `'-1 Minus St`,
      '',
      'Leeds',
      '',
      '',
      'GB',
      JSON.stringify(stored.metadata),
      stored.createdAt,
      stored.updatedAt,
      '1',
    ]);
    expect(JSON.parse(row[12]!)).toEqual({ note: '=cmd', b: 'x' });
    expect(rows.every((r) => r.length === 16)).toBe(true);
  });

  it('gzip when the caller accepts it; the same bytes once unzipped', async () => {
    const plain = await readAll(await openExport(server, { ...admin, 'accept-encoding': 'identity' }));
    const res = await openExport(server, { ...admin, 'accept-encoding': 'br;q=1, gzip;q=0.8' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(await readAll(res)).toString()).toBe(plain.toString());
    const refused = await openExport(server, { ...admin, 'accept-encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    await readAll(refused);
  });

  it('needs admin or customers:export (customers:read is not enough); a bad format is a 400 with issues', async () => {
    const reader = await createKey(server.url, admin, ['customers:read']);
    const exporter = await createKey(server.url, admin, ['customers:export']);
    const refused = await rest(server.url, 'GET', '/customers/export', undefined, { authorization: `Bearer ${reader}` });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/customers:export/);
    expect((await rest(server.url, 'GET', '/customers/export', undefined, {})).status).toBe(401);
    const ok = await fetch(`${server.url}/customers/export`, { headers: { authorization: `Bearer ${exporter}` } });
    expect(ok.status).toBe(200);
    await ok.text();
    const bad = await rest(server.url, 'GET', '/customers/export?format=xml', undefined, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('format');
    // A malformed query is the search route's 400, with the position.
    const malformed = await rest(server.url, 'GET', '/customers/export?query=name~', undefined, admin);
    expect(malformed.status).toBe(400);
    expect(malformed.body.issues[0]).toMatchObject({ path: 'query', message: expect.stringMatching(/^position 6: /) });
  });

  it('exports exactly the customers a search query matches (the search language), on both databases', async () => {
    const tag = `flt${Date.now()}`;
    const made: string[] = [];
    for (const [i, country] of ['GB', 'FR', 'GB'].entries()) {
      const email = `${tag}.${i}@example.com`;
      const r = await rest(
        server.url,
        'POST',
        '/customers',
        {
          email,
          firstName: 'Filter',
          lastName: `Müller${i}`,
          address: { line1: '1 Road', line2: null, city: 'Town', region: null, postalCode: 'X1', country },
        },
        admin,
      );
      expect(r.status).toBe(200);
      made.push(email);
    }
    const query = encodeURIComponent(`email~${tag} country:GB name~mull`);
    const body = (await readAll(await openExport(server, admin, `?query=${query}`))).toString();
    const emails = body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).email)
      .sort();
    expect(emails).toEqual([made[0], made[2]]);
    const searched = await rest(server.url, 'GET', `/customers/search?query=${query}`, undefined, admin);
    expect(searched.body.items.map((c: { email: string }) => c.email).sort()).toEqual(emails);
  });

  it('writes an audit entry per export with its details (who, query, format, rows, bytes)', async () => {
    const key = await createKey(server.url, admin, ['customers:export']);
    const res = await fetch(`${server.url}/customers/export?format=csv`, { headers: { authorization: `Bearer ${key}`, 'accept-encoding': 'identity' } });
    const body = await res.text();
    const rows = parseCsv(body).length - 1;
    let entry: Json | undefined;
    await waitFor('the export audit entry', async () => {
      const listed = await rest(server.url, 'GET', '/audit?action=customers.exported', undefined, admin);
      entry = listed.body.items.find((e: Json) => e.details?.format === 'csv' && e.actor.type === 'apiKey');
      return entry !== undefined;
    });
    expect(entry).toMatchObject({ outcome: 'success', details: { query: null, format: 'csv', rows, bytes: Buffer.byteLength(body), complete: 1 } });
  });

  it('hands off to the event log: export + GET /events?after=<cursor> hold every change exactly once, while others write during the stream', async () => {
    const seeded = Array.from({ length: 3000 }, () => newCustomer({ company: 'A company name long enough to fill the socket buffers a bit' }));
    await importRows(server, admin, seeded);
    await visibilityBarrier();
    const res = await openExport(server, admin);
    const cursor = res.headers['carly-events-after'] as string;
    expect(cursor).toMatch(/^evt_\d+$/);
    // The snapshot is taken: now others write while the body is still unread.
    const added = newCustomer();
    expect((await rest(server.url, 'POST', '/customers', added, admin)).status).toBe(200);
    expect((await rest(server.url, 'PATCH', customerPath(seeded[0]!.email), { company: 'Changed after' }, admin)).status).toBe(200);
    expect((await rest(server.url, 'DELETE', customerPath(seeded[1]!.email), undefined, admin)).status).toBe(200);
    const exported = lines((await readAll(res)).toString());
    const byEmail = new Map(exported.map((c) => [c.email as string, c]));
    expect(byEmail.has(added.email)).toBe(false);
    expect(byEmail.get(seeded[0]!.email)!.company).toBe((seeded[0] as Json).company);
    expect(byEmail.has(seeded[1]!.email)).toBe(true);

    await visibilityBarrier();
    const events = await allEvents(server.url, admin, cursor);
    expect(events.map((e) => [e.type, e.customer?.email])).toEqual([
      ['customer.created', added.email],
      ['customer.updated', seeded[0]!.email],
      ['customer.deleted', seeded[1]!.email],
    ]);
    // Replaying the events over the export gives what the server holds now.
    for (const e of events) {
      if (e.type === 'customer.deleted') byEmail.delete(e.customer!.email!);
      else byEmail.set(e.customer!.email!, (await rest(server.url, 'GET', customerPath(e.customer!.email!), undefined, admin)).body);
    }
    const now = lines(await (await fetch(`${server.url}/customers/export`, { headers: admin })).text());
    expect([...byEmail.values()].sort((a, b) => a.id.localeCompare(b.id))).toEqual(now.sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('backpressure: a reader that stops reading stops the stream (the server does not buffer the export)', async () => {
    await addFatCustomers();
    const sockets: Socket[] = [];
    const onConnection = (s: Socket) => sockets.push(s);
    server.app.http.server.on('connection', onConnection);
    try {
      const total = (await sqlQuery<{ n: number | string }>(server.app.config.database, 'select count(*) as n from customers'))[0]!.n;
      expect(Number(total)).toBeGreaterThanOrEqual(600);
      const res = await openExport(server, { ...admin, 'accept-encoding': 'identity' });
      res.pause();
      await sleep(1500);
      const socket = sockets[sockets.length - 1]!;
      const stalled = socket.bytesWritten;
      await sleep(500);
      // Nothing more is produced while nobody reads, and what waits in the server for the
      // socket is a chunk or two (the rest of what went out sits in the kernel's socket buffers)...
      expect(socket.bytesWritten).toBe(stalled);
      expect(socket.writableLength).toBeLessThan(512 * 1024);
      const body = await readAll(res);
      // ...and the export goes on once the reader reads again.
      expect(body.length).toBeGreaterThan(stalled);
    } finally {
      server.app.http.server.off('connection', onConnection);
    }
  });

  it('a client that goes away ends the snapshot at once (no transaction left open; on SQLite the WAL can be truncated)', async () => {
    await addFatCustomers();
    const res = await openExport(server, { ...admin, 'accept-encoding': 'identity' });
    res.pause();
    await sleep(300);
    const c = newCustomer();
    expect((await rest(server.url, 'POST', '/customers', c, admin)).status).toBe(200);
    const database = server.app.config.database;
    if (database.kind === 'sqlite') {
      // While the export's read transaction is open, the WAL cannot be truncated past it.
      expect((await sqlQuery<{ busy: number }>(database, 'pragma wal_checkpoint(TRUNCATE)'))[0]!.busy).toBe(1);
    } else {
      const open = await sqlQuery<{ state: string }>(
        database,
        "select state from pg_stat_activity where application_name = 'carly-export' and datname = current_database()",
      );
      expect(open.map((r) => r.state)).toEqual(['idle in transaction']);
    }
    res.destroy();
    if (database.kind === 'sqlite') {
      await waitFor(
        'the WAL to be truncated',
        async () => {
          const [r] = await sqlQuery<{ busy: number }>(database, 'pragma wal_checkpoint(TRUNCATE)');
          return r!.busy === 0 && fs.statSync(`${database.file}-wal`).size === 0;
          // Each busy checkpoint waits out the 5 s busy timeout of its connection.
        },
        30_000,
      );
    } else {
      await waitFor(
        'the export connection to close',
        async () =>
          (await sqlQuery(database, "select 1 from pg_stat_activity where application_name = 'carly-export' and datname = current_database()")).length === 0,
      );
    }
    await waitFor('the incomplete export audit entry', async () => {
      const listed = await rest(server.url, 'GET', '/audit?action=customers.exported', undefined, admin);
      return listed.body.items.some((e: Json) => e.outcome === 'failure' && e.details?.complete === 0);
    });
  });
});
