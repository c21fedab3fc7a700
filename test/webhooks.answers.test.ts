/**
 * What svix users rely on, with real receivers: each attempt keeps the receiver's status, its
 * diagnostic headers (never cookies or credentials) and the first 4 KiB of its body; `retrying`
 * vs `failed`; resending one delivery; and slowing an endpoint down after a 429 or a timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_PAUSE_SECONDS, MAX_PAUSE_SECONDS, slowDown } from '../server/webhooks/slow-down.js';
import { adminHeaders, bearer, signupCustomer } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { newCustomer, rest, startServer, type TestServer } from './helpers/server.js';
import { Receiver, type Responder, sleep } from './helpers/webhook-receiver.js';

interface Attempt {
  id: string;
  deliveryId: string;
  eventId: string;
  attempt: number;
  status: string;
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  nextAttemptAt: string | null;
}

let server: TestServer;
let admin: Record<string, string>;
const receivers: Receiver[] = [];

beforeAll(async () => {
  // Two retries 0.3 s apart; attempts time out after 1 s (the lease must be ≥ timeout + 5 s).
  server = await startServer({
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_DELAYS: '0.3,0.3',
    WEBHOOK_TIMEOUT_SECONDS: '1',
    WEBHOOK_LEASE_SECONDS: '6',
  });
  admin = await adminHeaders(server);
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await server.close();
});

async function hook(respond: Responder): Promise<{ id: string; receiver: Receiver }> {
  const receiver = await Receiver.start(respond);
  receivers.push(receiver);
  const r = await rest(server.url, 'POST', '/webhooks', { url: receiver.url(), events: ['customer.created'] }, admin);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { id: r.body.webhook.id, receiver };
}
const createCustomer = async () => expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
const attempts = async (id: string) => (await rest(server.url, 'GET', `/webhooks/${id}/deliveries?limit=200`, undefined, admin)).body.items as Attempt[];
async function attemptsUntil(id: string, check: (a: Attempt[]) => boolean, timeoutMs = 20_000): Promise<Attempt[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const a = await attempts(id);
    if (check(a)) return a;
    if (Date.now() > end) throw new Error(`attempts: condition not met: ${JSON.stringify(a).slice(0, 800)}`);
    await sleep(50);
  }
}

describe("an attempt keeps the receiver's answer", () => {
  it('status, an allowlist of headers (no cookie, no credentials) and the first 4 KiB of the body', async () => {
    const big = `${'é'.repeat(3000)}`; // 6000 bytes of UTF-8: cut at 4 KiB, on a character boundary
    const { id, receiver } = await hook((_, n) =>
      n === 1
        ? {
            status: 503,
            body: big,
            headers: {
              'content-type': 'text/plain; charset=utf-8',
              'x-request-id': 'rcv-42',
              server: 'receiver/1.0',
              'set-cookie': 'session=SECRET-COOKIE',
              'x-api-key': 'SECRET-KEY',
              'www-authenticate': 'Bearer realm="x"',
            } as Record<string, string>,
          }
        : { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } },
    );
    await createCustomer();
    const [second, first] = await attemptsUntil(id, (a) => a.length === 2);
    expect(receiver.received).toHaveLength(2);
    expect(first).toMatchObject({ attempt: 1, status: 'retrying', responseStatus: 503, deliveryId: expect.stringMatching(/^dlv_\d+$/) });
    expect(first!.nextAttemptAt).not.toBeNull();
    expect(Object.keys(first!.responseHeaders!).sort()).toEqual(['content-type', 'date', 'server', 'x-request-id']);
    expect(first!.responseHeaders).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'x-request-id': 'rcv-42', server: 'receiver/1.0' });
    expect(JSON.stringify(first)).not.toContain('SECRET');
    expect(Buffer.byteLength(first!.responseBody!, 'utf8')).toBe(4096);
    expect(first!.responseBody).toBe('é'.repeat(2048));
    expect(second).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      responseStatus: 200,
      responseBody: '{"ok":true}',
      deliveryId: first!.deliveryId,
      nextAttemptAt: null,
    });
    expect(second!.responseHeaders!['content-type']).toBe('application/json');
  });

  it('no answer (connection refused): status, headers and body are null; given up after the schedule is `failed`', async () => {
    const receiver = await Receiver.start();
    const url = receiver.url();
    await receiver.close();
    const created = await rest(server.url, 'POST', '/webhooks', { url, events: ['customer.created'] }, admin);
    const id = created.body.webhook.id as string;
    await createCustomer();
    const all = await attemptsUntil(id, (a) => a.length === 3);
    expect(all.map((a) => [a.attempt, a.status])).toEqual([
      [3, 'failed'],
      [2, 'retrying'],
      [1, 'retrying'],
    ]);
    for (const a of all) expect([a.responseStatus, a.responseHeaders, a.responseBody]).toEqual([null, null, null]);
    expect(all[0]!.nextAttemptAt).toBeNull();
    await rest(server.url, 'DELETE', `/webhooks/${id}`, undefined, admin);
  });
});

describe('POST /webhooks/{id}/deliveries/{deliveryId}/resend', () => {
  it('sends a given-up delivery again now: the same webhook-id, the next attempt number, audited', async () => {
    let healthy = false;
    const { id, receiver } = await hook(() => (healthy ? { status: 200 } : { status: 500 }));
    await createCustomer();
    const given = await attemptsUntil(id, (a) => a[0]?.status === 'failed');
    expect(given).toHaveLength(3);
    healthy = true;
    const r = await rest(server.url, 'POST', `/webhooks/${id}/deliveries/${given[0]!.deliveryId}/resend`, undefined, admin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ deliveryId: given[0]!.deliveryId, eventId: given[0]!.eventId, attempt: 4 });
    const after = await attemptsUntil(id, (a) => a.length === 4);
    expect(after[0]).toMatchObject({ attempt: 4, status: 'succeeded', responseStatus: 200, eventId: given[0]!.eventId });
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((q) => q.headers['webhook-id']))).toEqual(new Set([given[0]!.eventId]));
    const audit = await sqlQuery<{ action: string }>(
      server.app.config.database,
      "select action from audit_entries where target_id = $1 and action = 'webhook.deliveryResent'",
      [id],
    );
    expect(audit).toHaveLength(1);
  });

  it('is also the SDK/tRPC procedure webhooks.resend, and resends a delivered one', async () => {
    const { id, receiver } = await hook(() => ({ status: 200 }));
    await createCustomer();
    const [done] = await attemptsUntil(id, (a) => a[0]?.status === 'succeeded');
    const token = admin.authorization!.slice('Bearer '.length);
    const answer = await server.trpc(token).webhooks.resend.mutate({ id, deliveryId: done!.deliveryId });
    expect(answer).toEqual({ deliveryId: done!.deliveryId, eventId: done!.eventId, attempt: 2 });
    await receiver.waitFor((r) => r.length === 2);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(done!.eventId);
  });

  it('refuses bad input with the contract error shape and changes nothing', async () => {
    // Signed up first: its customer.created event must not reach the webhooks below.
    const customer = await signupCustomer(server);
    const { id } = await hook(() => ({ status: 200 }));
    await createCustomer();
    const [done] = await attemptsUntil(id, (a) => a.length === 1);
    const other = await hook(() => ({ status: 200 }));
    const cases: [string, number, string][] = [
      [`/webhooks/${id}/deliveries/dlv_999999999/resend`, 404, 'NOT_FOUND'],
      [`/webhooks/${other.id}/deliveries/${done!.deliveryId}/resend`, 404, 'NOT_FOUND'], // another webhook's delivery
      [`/webhooks/wh_nope/deliveries/${done!.deliveryId}/resend`, 404, 'NOT_FOUND'],
      [`/webhooks/${id}/deliveries/att_1/resend`, 400, 'BAD_REQUEST'],
    ];
    for (const [path, status, code] of cases) {
      const r = await rest(server.url, 'POST', path, undefined, admin);
      expect(r.status, path).toBe(status);
      expect(r.body).toMatchObject({ code, message: expect.any(String) });
    }
    const denied = await rest(server.url, 'POST', `/webhooks/${id}/deliveries/${done!.deliveryId}/resend`, undefined, bearer(customer.tokens.accessToken));
    expect(denied.status).toBe(403);
    expect((await rest(server.url, 'PATCH', `/webhooks/${id}`, { status: 'disabled' }, admin)).status).toBe(200);
    const disabled = await rest(server.url, 'POST', `/webhooks/${id}/deliveries/${done!.deliveryId}/resend`, undefined, admin);
    expect(disabled.status).toBe(409);
    expect(disabled.body).toMatchObject({ code: 'CONFLICT' });
    await sleep(500);
    expect(await attempts(id)).toHaveLength(1);
    expect(await attempts(other.id)).toHaveLength(0);
  });
});

describe('slowing an endpoint down', () => {
  it('the pause starts at 5 s, doubles up to 10 minutes, follows Retry-After, and a success ends it', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    const first = slowDown({ until: null, pauseSeconds: null }, { kind: 'overloaded' }, now);
    expect(first).toEqual({ until: at(FIRST_PAUSE_SECONDS), pauseSeconds: 5 });
    expect(slowDown(first, { kind: 'overloaded' }, now)).toEqual({ until: at(10), pauseSeconds: 10 });
    expect(slowDown({ until: null, pauseSeconds: 400 }, { kind: 'overloaded' }, now)).toEqual({ until: at(MAX_PAUSE_SECONDS), pauseSeconds: 600 });
    expect(slowDown(first, { kind: 'wait', seconds: 30 }, now)).toEqual({ until: at(30), pauseSeconds: 5 });
    expect(slowDown(first, { kind: 'fine' }, now)).toEqual({ until: null, pauseSeconds: null });
  });

  it('after a 429 without Retry-After, nothing reaches the endpoint for 5 s: not the retry, not a new event; a 2xx ends it', async () => {
    const { id, receiver } = await hook((_, n) => (n === 1 ? { status: 429 } : { status: 200 }));
    await createCustomer();
    await receiver.waitFor((r) => r.length === 1);
    const slowDownSeconds = async () =>
      (await sqlQuery<{ slow_down_seconds: number | null }>(server.app.config.database, 'select slow_down_seconds from webhooks where id = $1', [id]))[0]!
        .slow_down_seconds;
    for (let i = 0; i < 100 && (await slowDownSeconds()) === null; i++) await sleep(20);
    expect(await slowDownSeconds()).toBe(5);
    await createCustomer(); // during the pause: queued, not sent
    await receiver.waitFor((r) => r.length === 3, 20_000);
    const first = receiver.received[0]!.at;
    // The retry was scheduled 0.3 s out and the new event was due at once; both waited for the pause.
    for (const later of receiver.received.slice(1)) expect(later.at - first).toBeGreaterThanOrEqual(4900);
    const all = await attemptsUntil(id, (a) => a.filter((x) => x.status === 'succeeded').length === 2);
    expect(all.find((a) => a.responseStatus === 429)).toMatchObject({ status: 'retrying' });
    const [after] = await sqlQuery<{ slow_down_seconds: number | null; slow_until: unknown }>(
      server.app.config.database,
      'select slow_down_seconds, slow_until from webhooks where id = $1',
      [id],
    );
    expect(after).toEqual({ slow_down_seconds: null, slow_until: null });
  });

  it('a timeout slows it down the same way', async () => {
    const { id, receiver } = await hook((_, n) => (n === 1 ? { status: 200, delayMs: 3000 } : { status: 200 }));
    await createCustomer();
    await receiver.waitFor((r) => r.length === 2, 20_000);
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(4900);
    const all = await attemptsUntil(id, (a) => a.length === 2);
    expect(all[1]).toMatchObject({ status: 'retrying', responseStatus: null });
    expect(all[0]).toMatchObject({ status: 'succeeded' });
  });
});
