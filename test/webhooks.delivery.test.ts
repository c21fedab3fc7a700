import pg from 'pg';
import { WebhookVerificationError as LibraryVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../client-sdk/src/index.js';
import { housekeeping } from '../server/ops/housekeeping.js';
import { adminHeaders } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { sqlQuery } from './helpers/database.js';
import { customerPath, newCustomer, postgresOnly, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';
import { type Received, Receiver, type Responder, sleep, verifyReceived } from './helpers/webhook-receiver.js';

const DAY = 24 * 3_600_000;

/** Short retries, loopback receivers allowed: what the delivery tests run on. */
const DELIVERY_ENV = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_DELAYS: '0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3' };

interface Hook {
  id: string;
  secret: string;
  receiver: Receiver;
}

function harness(getServer: () => TestServer, getAdmin: () => Record<string, string>) {
  const hooks: Hook[] = [];
  const api = {
    /** A receiver and a webhook (all events unless told) pointing at it. */
    async hook(respond?: Responder, body: Record<string, unknown> = {}): Promise<Hook> {
      const receiver = await Receiver.start(respond);
      const r = await rest(getServer().url, 'POST', '/webhooks', { url: receiver.url(), events: ['*'], ...body }, getAdmin());
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const hook = { id: r.body.webhook.id as string, secret: r.body.secret as string, receiver };
      hooks.push(hook);
      return hook;
    },
    async customer(overrides: Record<string, unknown> = {}) {
      const body = newCustomer(overrides);
      const r = await rest(getServer().url, 'POST', '/customers', body, getAdmin());
      expect(r.status).toBe(200);
      return r.body as { id: string; email: string };
    },
    get: async (id: string) => (await rest(getServer().url, 'GET', `/webhooks/${id}`, undefined, getAdmin())).body,
    attempts: async (id: string) =>
      (await rest(getServer().url, 'GET', `/webhooks/${id}/deliveries?limit=200`, undefined, getAdmin())).body.items as {
        eventId: string;
        attempt: number;
        status: string;
        responseStatus: number | null;
        error: string | null;
        nextAttemptAt: string | null;
      }[],
    /** Waits until `check` holds, asking every 50 ms. */
    async until<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await read();
        if (check(v)) return v;
        if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v).slice(0, 500)}`);
        await sleep(50);
      }
    },
    async cleanup() {
      for (const h of hooks) {
        await rest(getServer().url, 'DELETE', `/webhooks/${h.id}`, undefined, getAdmin());
        await h.receiver.close();
      }
    },
  };
  return api;
}

const byEvent = (received: Received[], eventId: string) => received.filter((r) => r.headers['webhook-id'] === eventId);
const eventIdOf = (r: Received) => String(r.headers['webhook-id']);

describe('webhook delivery (Standard Webhooks 1.0)', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  const h = harness(
    () => server,
    () => admin,
  );

  beforeAll(async () => {
    server = await startServer(DELIVERY_ENV);
    admin = await adminHeaders(server);
  });
  afterAll(async () => {
    await h.cleanup();
    await server.close();
  });

  it('a change becomes one signed delivery within seconds, verified by standardwebhooks and the SDK alike', async () => {
    const { secret, receiver } = await h.hook();
    const committed = Date.now();
    const customer = await h.customer({ company: 'Hooked Ltd' });
    await receiver.waitFor((r) => r.length >= 1, 5000);
    expect(receiver.received[0]!.at - committed).toBeLessThan(2000);
    const [request] = receiver.received;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-id']).toMatch(/^evt_\d+$/);
    expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const message = verifyReceived(secret, request!);
    expect(message).toEqual({
      type: 'customer.created',
      timestamp: message.data.occurredAt,
      data: {
        id: request!.headers['webhook-id'],
        type: 'customer.created',
        occurredAt: expect.any(String),
        customer: { id: customer.id, email: customer.email, version: 1 },
        changed: expect.arrayContaining(['email', 'firstName', 'lastName', 'company']),
        actor: { type: 'user', id: expect.any(String) },
        requestId: expect.any(String),
        data: null,
      },
    });
    // The SDK's verifier agrees, from Node's header record and from a Fetch Headers object.
    expect(await verifyWebhook(request!.body, request!.headers, secret)).toEqual(message);
    const fetchHeaders = new Headers(Object.entries(request!.headers).map(([k, v]) => [k, String(v)]));
    expect(await verifyWebhook(Buffer.from(request!.body), fetchHeaders, secret)).toEqual(message);
    // One delivery, not more.
    await sleep(1000);
    expect(receiver.received).toHaveLength(1);
  });

  it('a tampered body, a wrong secret or a stale timestamp fails verification in both libraries', async () => {
    const { secret, receiver } = await h.hook();
    await h.customer();
    await receiver.waitFor((r) => r.length >= 1);
    const request = receiver.received[0]!;
    const tampered = { ...request, body: request.body.replace('"customer.created"', '"customer.deleted"') };
    expect(tampered.body).not.toBe(request.body);
    expect(() => verifyReceived(secret, tampered)).toThrow(LibraryVerificationError);
    await expect(verifyWebhook(tampered.body, tampered.headers, secret)).rejects.toThrow(WebhookVerificationError);
    const other = (await h.hook()).secret;
    expect(() => verifyReceived(other, request)).toThrow(LibraryVerificationError);
    await expect(verifyWebhook(request.body, request.headers, other)).rejects.toThrow('No matching signature found');
    const later = new Date(Number(request.headers['webhook-timestamp']) * 1000 + 6 * 60_000);
    await expect(verifyWebhook(request.body, request.headers, secret, { now: later })).rejects.toThrow('Message timestamp too old');
    await expect(verifyWebhook(request.body, { ...request.headers, 'webhook-signature': undefined }, secret)).rejects.toThrow(WebhookVerificationError);
  });

  it('sends only the subscribed types, and nothing from before the webhook existed', async () => {
    const early = await h.customer();
    const { receiver } = await h.hook(undefined, { events: ['customer.updated'] });
    const created = await h.customer();
    const r = await rest(server.url, 'PATCH', customerPath(created.email), { company: 'Changed' }, admin);
    expect(r.status).toBe(200);
    await rest(server.url, 'PATCH', customerPath(early.email), { company: 'Early, changed now' }, admin);
    await receiver.waitFor((got) => got.length >= 2);
    await sleep(800);
    const types = receiver.received.map((got) => JSON.parse(got.body) as { type: string; data: { customer: { email: string } } });
    expect(types.map((t) => t.type)).toEqual(['customer.updated', 'customer.updated']);
    expect(types.map((t) => t.data.customer.email).sort()).toEqual([created.email, early.email].sort());
  });

  it('500 twice then 200: three attempts with the same webhook-id, the event processed once', async () => {
    const processed = new Map<string, number>();
    const { id, secret, receiver } = await h.hook((request) => {
      const tries = byEvent(receiver.received, eventIdOf(request)).length;
      if (tries <= 2) return { status: 500 };
      // The receiver dedupes on webhook-id, as documented.
      processed.set(eventIdOf(request), (processed.get(eventIdOf(request)) ?? 0) + 1);
      return { status: 200 };
    });
    await h.customer();
    await receiver.waitFor((r) => r.length >= 3);
    await sleep(1000);
    expect(receiver.received).toHaveLength(3);
    const ids = new Set(receiver.received.map(eventIdOf));
    expect(ids.size).toBe(1);
    expect([...processed.values()]).toEqual([1]);
    for (const request of receiver.received) verifyReceived(secret, request);
    // Each retry waits its scheduled delay (0.3 s ± 20 %).
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(200);
    expect(receiver.received[2]!.at - receiver.received[1]!.at).toBeGreaterThanOrEqual(200);
    const attempts = await h.until(
      () => h.attempts(id),
      (a) => a.length === 3,
    );
    expect(attempts.map((a) => [a.attempt, a.status, a.responseStatus, a.error])).toEqual([
      [3, 'succeeded', 200, null],
      [2, 'retrying', 500, 'HTTP 500'],
      [1, 'retrying', 500, 'HTTP 500'],
    ]);
    expect(attempts.map((a) => a.nextAttemptAt === null)).toEqual([true, false, false]);
    expect(new Set(attempts.map((a) => a.eventId))).toEqual(ids);
    expect((await h.get(id)).failingSince).toBeNull();
  });

  it('honours Retry-After when it asks for longer than the schedule', async () => {
    const { receiver } = await h.hook((_, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 }));
    await h.customer();
    await receiver.waitFor((r) => r.length >= 2);
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(eventIdOf(receiver.received[1]!)).toBe(eventIdOf(receiver.received[0]!));
  });

  it('410 Gone disables the webhook at once: no retry, no further deliveries, audited', async () => {
    const { id, receiver } = await h.hook(() => ({ status: 410 }));
    await h.customer();
    const disabled = await h.until(
      () => h.get(id),
      (w) => w.status === 'disabled',
    );
    expect(disabled.failingSince).not.toBeNull();
    await h.customer();
    await sleep(1500);
    expect(receiver.received).toHaveLength(1);
    const [attempt] = await h.attempts(id);
    expect(attempt).toMatchObject({ attempt: 1, status: 'failed', responseStatus: 410, nextAttemptAt: null });
    expect(attempt!.error).toContain('410');
    const entries = await sqlQuery<{ action: string; actor_type: string; actor_id: string }>(
      server.app.config.database,
      'select action, actor_type, actor_id from audit_entries where target_id = $1 order by id',
      [id],
    );
    expect(entries).toEqual([
      { action: 'webhook.created', actor_type: 'user', actor_id: expect.any(String) },
      { action: 'webhook.disabledGone', actor_type: 'system', actor_id: 'webhooks' },
    ]);
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const { id, receiver } = await h.hook((request) => (request.path === '/hook' ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 }));
    await h.customer();
    const attempts = await h.until(
      () => h.attempts(id),
      (a) => a.length >= 1,
    );
    expect(attempts[0]).toMatchObject({ status: 'retrying', responseStatus: 302, error: 'HTTP 302 (redirects are not followed)' });
    expect(receiver.at('/elsewhere')).toHaveLength(0);
    await rest(server.url, 'DELETE', `/webhooks/${id}`, undefined, admin);
  });

  it('test sends a signed webhook.test message now; a disabled webhook refuses it with 409', async () => {
    const { id, secret, receiver } = await h.hook();
    const sent = await rest(server.url, 'POST', `/webhooks/${id}/test`, undefined, admin);
    expect(sent.status).toBe(200);
    expect(sent.body.eventId).toMatch(/^whtest_[0-9a-f]{24}$/);
    await receiver.waitFor((r) => r.length >= 1, 5000);
    const message = verifyReceived(secret, receiver.received[0]!);
    expect(message.type).toBe('webhook.test');
    expect(message.data).toMatchObject({ id: sent.body.eventId, type: 'webhook.test', customer: null });
    expect(eventIdOf(receiver.received[0]!)).toBe(sent.body.eventId);
    const attempts = await h.until(
      () => h.attempts(id),
      (a) => a.length === 1,
    );
    expect(attempts[0]).toMatchObject({ eventId: sent.body.eventId, status: 'succeeded' });
    expect((await rest(server.url, 'PATCH', `/webhooks/${id}`, { status: 'disabled' }, admin)).status).toBe(200);
    const refused = await rest(server.url, 'POST', `/webhooks/${id}/test`, undefined, admin);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CONFLICT');
  });

  it('a disabled webhook gets nothing; re-enabled, its paused retry goes out', async () => {
    let fail = true;
    const { id, receiver } = await h.hook(() => ({ status: fail ? 500 : 200 }));
    await h.customer();
    await receiver.waitFor((r) => r.length >= 1);
    expect((await rest(server.url, 'PATCH', `/webhooks/${id}`, { status: 'disabled' }, admin)).status).toBe(200);
    // A retry already on the wire at the moment of the change may still land; then nothing.
    await sleep(1000);
    const pausedAt = receiver.received.length;
    await h.customer();
    await sleep(1500);
    expect(receiver.received).toHaveLength(pausedAt);
    fail = false;
    expect((await rest(server.url, 'PATCH', `/webhooks/${id}`, { status: 'active' }, admin)).status).toBe(200);
    await receiver.waitFor((r) => r.length > pausedAt, 5000);
    await sleep(800);
    // The paused event went out; the one committed while disabled was never queued for it.
    expect(new Set(receiver.received.map(eventIdOf)).size).toBe(1);
    const [latest] = await h.until(
      () => h.attempts(id),
      (a) => a[0]?.status === 'succeeded',
    );
    expect(latest!.attempt).toBe(receiver.received.length);
  });

  // On PostgreSQL the fan-out can be held back from outside: it skips its pass while another
  // session holds the position row (FOR UPDATE SKIP LOCKED), as a busy or restarting instance would.
  it.skipIf(!usingPostgres())(
    postgresOnly('an event that occurred while disabled is never sent, even when the fan-out reads it after re-enabling'),
    async () => {
      const { id, receiver } = await h.hook();
      const first = await h.customer();
      await receiver.waitFor((r) => r.length >= 1);
      const database = server.app.config.database;
      if (database.kind !== 'postgresql') throw new Error('postgresql only');
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query('begin');
        await holder.query('select position from webhook_fanout where id = 1 for update');
        expect((await rest(server.url, 'PATCH', `/webhooks/${id}`, { status: 'disabled' }, admin)).status).toBe(200);
        const whileDisabled = await h.customer();
        expect((await rest(server.url, 'PATCH', `/webhooks/${id}`, { status: 'active' }, admin)).status).toBe(200);
        const afterwards = await h.customer();
        await sleep(300);
        expect(receiver.received).toHaveLength(1);
        await holder.query('commit');
        await receiver.waitFor((r) => r.length >= 2, 5000);
        await sleep(800);
        const customersSent = receiver.received.map((r) => (JSON.parse(r.body) as { data: { customer: { id: string } } }).data.customer.id);
        expect(customersSent).toEqual([first.id, afterwards.id]);
        expect(customersSent).not.toContain(whileDisabled.id);
      } finally {
        await holder.end();
      }
    },
  );

  it('deleting a webhook stops its deliveries at once, cutting off the attempt on the wire', async () => {
    const { id, receiver } = await h.hook(() => ({ status: 200, delayMs: 20_000 }));
    await h.customer();
    await receiver.waitFor((r) => r.length >= 1);
    expect((await rest(server.url, 'DELETE', `/webhooks/${id}`, undefined, admin)).status).toBe(200);
    await receiver.waitFor(() => receiver.cutOff === 1, 3000);
    await h.customer();
    await sleep(1500);
    expect(receiver.received).toHaveLength(1);
    const left = await sqlQuery<{ n: number }>(server.app.config.database, 'select count(*) as n from webhook_deliveries where webhook_id = $1', [id]);
    expect(Number(left[0]!.n)).toBe(0);
  });

  it('counts deliveries by outcome and exposes the queue in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const value = (line: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${line} `))
          ?.split(' ')[1],
      );
    expect(value('carly_webhook_deliveries_total{outcome="delivered"}')).toBeGreaterThan(0);
    expect(value('carly_webhook_deliveries_total{outcome="retrying"}')).toBeGreaterThan(0);
    expect(value('carly_webhook_deliveries_total{outcome="failed"}')).toBeGreaterThan(0);
    expect(value('carly_webhook_attempt_duration_seconds_count{result="2xx"}')).toBeGreaterThan(0);
    expect(value('carly_webhook_attempt_duration_seconds_count{result="5xx"}')).toBeGreaterThan(0);
    expect(Number.isFinite(value('carly_webhook_queue_depth'))).toBe(true);
    expect(Number.isFinite(value('carly_webhook_oldest_pending_age_seconds'))).toBe(true);
  });
});

describe('webhook secrets and health over time (moved clock)', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  const clock = new TestClock();
  const h = harness(
    () => server,
    () => admin,
  );

  beforeAll(async () => {
    server = await startServer(DELIVERY_ENV, { clock });
    // An API key, not a 15-minute access token: this clock moves days.
    const key = await rest(server.url, 'POST', '/api-keys', { name: 'clock', scopes: ['customers:write', 'webhooks:manage'] }, await adminHeaders(server));
    admin = { authorization: `Bearer ${key.body.secret}` };
  });
  afterAll(async () => {
    await h.cleanup();
    await server.close();
  });

  it('after a rotation both secrets sign for 24 hours and each verifies; then the new one alone', async () => {
    const { id, secret: old, receiver } = await h.hook();
    const rotated = await rest(server.url, 'POST', `/webhooks/${id}/rotate-secret`, undefined, admin);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    await h.customer();
    await receiver.waitFor((r) => r.length >= 1);
    const during = receiver.received[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyReceived(old, during).type).toBe('customer.created');
    expect(verifyReceived(fresh, during).type).toBe('customer.created');
    expect(await verifyWebhook(during.body, during.headers, [old, fresh])).toMatchObject({ type: 'customer.created' });
    clock.advance(DAY + 60_000);
    await h.customer();
    await receiver.waitFor((r) => r.length >= 2);
    const after = receiver.received[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyReceived(fresh, after).type).toBe('customer.created');
    expect(() => verifyReceived(old, after)).toThrow(LibraryVerificationError);
  });

  it('five days of failures disable the webhook, audited', async () => {
    const { id, receiver } = await h.hook(() => ({ status: 500 }));
    await h.customer();
    const failing = await h.until(
      () => h.get(id),
      (w) => w.failingSince !== null,
    );
    expect(failing.status).toBe('active');
    await receiver.waitFor((r) => r.length >= 2);
    expect((await h.get(id)).status).toBe('active');
    clock.advance(5 * DAY);
    const disabled = await h.until(
      () => h.get(id),
      (w) => w.status === 'disabled',
    );
    expect(disabled.failingSince).toBe(failing.failingSince);
    const entries = await sqlQuery<{ action: string }>(server.app.config.database, 'select action from audit_entries where target_id = $1 order by id', [id]);
    expect(entries.map((e) => e.action)).toEqual(['webhook.created', 'webhook.disabledFailing']);
    // An attempt on the wire at the moment may still land; after that, nothing.
    await sleep(1000);
    const count = receiver.received.length;
    await sleep(1200);
    expect(receiver.received).toHaveLength(count);
  });

  it('keeps deliveries and their attempts 30 days, then housekeeping drops them', async () => {
    const { id, receiver } = await h.hook();
    await h.customer();
    await receiver.waitFor((r) => r.length >= 1);
    await h.until(
      () => h.attempts(id),
      (a) => a.length === 1,
    );
    expect((await housekeeping(server.app.orm, clock)).webhookDeliveries).toBe(0);
    clock.advance(31 * DAY);
    // Every delivery of this server is now older than 30 days (this file's earlier ones too).
    const [all] = await sqlQuery<{ n: number }>(server.app.config.database, 'select count(*) as n from webhook_deliveries');
    expect((await housekeeping(server.app.orm, clock)).webhookDeliveries).toBe(Number(all!.n));
    expect(await h.attempts(id)).toEqual([]);
  });
});

describe('a receiver that hangs', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  const h = harness(
    () => server,
    () => admin,
  );

  beforeAll(async () => {
    server = await startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    admin = await adminHeaders(server);
  });
  afterAll(async () => {
    await server.close();
    await h.cleanup().catch(() => {});
  });

  it('hanging 20 s delays no other webhook, and holds at most 16 attempts open', async () => {
    const hung = await h.hook(() => ({ status: 200, delayMs: 20_000 }));
    const healthy = await h.hook();
    const started = Date.now();
    for (let i = 0; i < 20; i++) await h.customer();
    await healthy.receiver.waitFor((r) => r.length >= 20, 8000);
    expect(Date.now() - started).toBeLessThan(10_000);
    await hung.receiver.waitFor((r) => r.length >= 16, 5000);
    await sleep(1000);
    // Its 16 slots are full: the other 4 wait, the healthy webhook does not.
    expect(hung.receiver.received).toHaveLength(16);
    expect(new Set(healthy.receiver.received.map(eventIdOf)).size).toBe(20);
  });
});
