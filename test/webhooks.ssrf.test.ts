import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenAddressReason } from '../server/webhooks/address-guard.js';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { newCustomer, rest, startServer, type TestServer } from './helpers/server.js';
import { Receiver, sleep } from './helpers/webhook-receiver.js';

describe('which addresses may receive webhooks', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.10.20.30', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['10.1.2.3', 'a private-network address'],
    ['172.16.0.1', 'a private-network address'],
    ['192.168.1.1', 'a private-network address'],
    ['169.254.169.254', 'a link-local address (where cloud metadata services live)'],
    ['fe80::1', 'a link-local address (where cloud metadata services live)'],
    ['fd00:ec2::254', 'a unique-local (private IPv6) address'],
    ['100.100.100.200', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'the unspecified address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:10.0.0.1', 'a private-network address'],
    ['224.0.0.1', 'a special-purpose address (multicast)'],
    ['64:ff9b::7f00:1', 'a special-purpose address (rfc6052)'],
  ])('refuses %s: %s', (address, reason) => {
    expect(forbiddenAddressReason(address)).toBe(reason);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });
});

/** WEBHOOK_ALLOW_PRIVATE_NETWORKS off, as in production. */
describe('with private networks refused (the default)', () => {
  let server: TestServer;
  let admin: Record<string, string>;
  let receiver: Receiver;

  beforeAll(async () => {
    server = await startServer({ WEBHOOK_RETRY_DELAYS: '0.3' });
    admin = await adminHeaders(server);
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('refuses a URL whose host is a forbidden IP address at create and update, changing nothing', async () => {
    const before = (await rest(server.url, 'GET', '/webhooks', undefined, admin)).body.items.length;
    for (const host of ['127.0.0.1', '[::1]', '10.0.0.7', '169.254.169.254', '[::ffff:127.0.0.1]', '[fd00::1]', '0.0.0.0', '2130706433']) {
      const r = await rest(server.url, 'POST', '/webhooks', { url: `http://${host}:${receiver.port}/hook`, events: ['*'] }, admin);
      expect(r.status, host).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
      expect(r.body.message, host).toMatch(/^url: refused: .* is (a|the) .*WEBHOOK_ALLOW_PRIVATE_NETWORKS is off/);
    }
    expect((await rest(server.url, 'GET', '/webhooks', undefined, admin)).body.items.length).toBe(before);
    const ok = await rest(server.url, 'POST', '/webhooks', { url: 'https://example.com/hook', events: ['*'] }, admin);
    expect(ok.status).toBe(200);
    const patched = await rest(server.url, 'PATCH', `/webhooks/${ok.body.webhook.id}`, { url: 'http://192.168.0.10/hook' }, admin);
    expect(patched.status).toBe(400);
    expect((await rest(server.url, 'GET', `/webhooks/${ok.body.webhook.id}`, undefined, admin)).body.url).toBe('https://example.com/hook');
    expect((await rest(server.url, 'DELETE', `/webhooks/${ok.body.webhook.id}`, undefined, admin)).status).toBe(200);
  });

  it('refuses a name that resolves to loopback at connect time: the receiver never hears of it', async () => {
    const created = await rest(server.url, 'POST', '/webhooks', { url: `http://localhost:${receiver.port}/hook`, events: ['*'] }, admin);
    expect(created.status).toBe(200);
    const id = created.body.webhook.id as string;
    expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
    let attempts: { status: string; error: string | null; responseStatus: number | null }[] = [];
    for (let i = 0; i < 100 && attempts.length < 2; i++) {
      await sleep(100);
      attempts = (await rest(server.url, 'GET', `/webhooks/${id}/deliveries`, undefined, admin)).body.items;
    }
    expect(attempts.length).toBe(2);
    // Newest first: the retry was the last (given up), the first was retried.
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'retrying']);
    for (const a of attempts) {
      expect(a.responseStatus).toBeNull();
      // Neither the address nor its kind: a webhooks:manage key must not map internal names (issue 23).
      expect(a.error).toBe('refused: localhost resolves to a private or special-purpose address (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)');
    }
    expect(receiver.received).toHaveLength(0);
    // The failure counts against the webhook like any other.
    expect((await rest(server.url, 'GET', `/webhooks/${id}`, undefined, admin)).body.failingSince).not.toBeNull();
    const [state] = await sqlQuery<{ state: string }>(server.app.config.database, 'select state from webhook_deliveries where webhook_id = $1', [id]);
    expect(state!.state).toBe('failed');
  });
});
