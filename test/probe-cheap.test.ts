/**
 * The cheap cases of the outside probe (issue 23), re-run on both wires:
 *   - item 7: a tRPC query sent as POST, or a mutation as GET/PUT/PATCH, answers 405
 *     METHOD_NOT_SUPPORTED with `Allow`, signed in or not (it was a 500);
 *   - item 8: every `limit` takes decimal digits only (`0x10`, `1e2`, `+5`, `" 5 "`, `5.0` → 400);
 *   - item 6: IPv6 webhook addresses outside global unicast 2000::/3 (`[::127.0.0.1]`) are refused
 *     at save and at connect, and a refused name's error does not say what it resolved to;
 *   - item 4 and "also seen": `customers:write` implies `customers:read`, `webhooks:manage` implies
 *     `events:read`, the same on REST and tRPC, and said in the OpenAPI document.
 * (Item 5, redaction, is in test/redaction.test.ts and test/account-pages.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forbiddenAddressReason } from '../server/webhooks/address-guard.js';
import { adminHeaders, adminToken, bearer } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { createKey } from './helpers/events.js';
import { ROOT } from './helpers/process.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';
import { Receiver, sleep } from './helpers/webhook-receiver.js';

let server: TestServer;
let admin: Record<string, string>;
beforeAll(async () => {
  server = await startServer({ WEBHOOK_RETRY_DELAYS: '0.3' });
  admin = await adminHeaders(server);
});
afterAll(() => server.close());

interface TrpcError {
  error: { json: { message: string; data: { code: string; httpStatus: number; issues?: { path: string }[] } } };
}

describe('tRPC with the wrong method: 405 with Allow (item 7)', () => {
  const cases: [string, string, string][] = [
    ['POST', 'customers.list', 'GET'],
    ['POST', 'auth.me', 'GET'],
    ['GET', 'customers.create', 'POST'],
    ['PUT', 'customers.create', 'POST'],
    ['PATCH', 'auth.login', 'POST'],
    ['GET', 'auth.login', 'POST'],
  ];
  for (const signedIn of [false, true]) {
    it.each(cases)(`${signedIn ? 'signed in' : 'unauthenticated'}: %s /trpc/%s → 405, Allow: %s`, async (method, procedure, allow) => {
      const headers: Record<string, string> = signedIn ? { ...admin } : {};
      const hasBody = method !== 'GET';
      if (hasBody) headers['content-type'] = 'application/json';
      const before = (await sqlQuery<{ n: number | string }>(server.app.config.database, 'select count(*) as n from customers'))[0]!.n;
      const res = await fetch(`${server.url}/trpc/${procedure}`, { method, headers, body: hasBody ? JSON.stringify({ json: newCustomer() }) : undefined });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      const body = (await res.json()) as TrpcError;
      expect(body.error.json.data.code).toBe('METHOD_NOT_SUPPORTED');
      expect(body.error.json.data.httpStatus).toBe(405);
      expect(body.error.json.message).toMatch(/\S/);
      expect((await sqlQuery<{ n: number | string }>(server.app.config.database, 'select count(*) as n from customers'))[0]!.n).toBe(before);
    });
  }

  it('the right method still works on both lanes', async () => {
    const list = await fetch(`${server.url}/trpc/customers.list?input=${encodeURIComponent('{"json":{}}')}`, { headers: admin });
    expect(list.status).toBe(200);
    const batched = await fetch(`${server.url}/trpc/customers.list?batch=1&input=${encodeURIComponent('{"0":{"json":{}}}')}`, { headers: admin });
    expect(batched.status).toBe(200);
  });

  it('the OpenAPI document knows the code', () => {
    const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8'));
    expect(doc.components.schemas.Error.properties.code.enum).toContain('METHOD_NOT_SUPPORTED');
  });
});

describe('one strict integer parser for every limit (item 8)', () => {
  const BAD = ['0x10', '1e2', '+5', ' 5 ', '5.0', '-1', '0', '', '5abc'];
  let webhookId: string;
  let paths: string[];
  beforeAll(async () => {
    const hook = await rest(server.url, 'POST', '/webhooks', { url: 'https://example.com/hook', events: ['customer.deleted'] }, admin);
    expect(hook.status).toBe(200);
    webhookId = hook.body.webhook.id;
    paths = ['/customers', '/events', '/audit', '/auth/activity', `/webhooks/${webhookId}/deliveries`];
  });

  it.each(BAD)('REST refuses limit=%j on every list with 400 naming limit', async (value) => {
    for (const p of paths) {
      const r = await rest(server.url, 'GET', `${p}?limit=${encodeURIComponent(value)}`, undefined, admin);
      expect(r.status, `${p} ${value}`).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
      expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual(['limit']);
    }
  });

  it('REST takes plain digits on every list', async () => {
    for (const p of paths) expect((await rest(server.url, 'GET', `${p}?limit=5`, undefined, admin)).status, p).toBe(200);
  });

  const procedures: [string, Record<string, unknown>][] = [
    ['customers.list', {}],
    ['events.list', {}],
    ['audit.list', {}],
    ['auth.activity', {}],
    ['webhooks.deliveries', {}],
  ];
  it.each(['0x10', '1e2', '+5', ' 5 ', '5.0', 5.5, 0])('tRPC refuses limit %j on every list with 400 naming limit', async (value) => {
    for (const [procedure, input] of procedures) {
      const json = { ...input, ...(procedure === 'webhooks.deliveries' ? { id: webhookId } : {}), limit: value };
      const res = await fetch(`${server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json }))}`, { headers: admin });
      expect(res.status, `${procedure} ${value}`).toBe(400);
      const body = (await res.json()) as TrpcError;
      expect(body.error.json.data.code).toBe('BAD_REQUEST');
      expect(body.error.json.data.issues?.map((i) => i.path)).toEqual(['limit']);
    }
  });

  it('tRPC takes a whole number on every list', async () => {
    const c = server.trpc(await adminToken(server));
    expect((await c.customers.list.query({ limit: 5 })).items.length).toBeLessThanOrEqual(5);
    expect(Array.isArray((await c.events.list.query({ limit: 5 })).items)).toBe(true);
    expect(Array.isArray((await c.audit.list.query({ limit: 5 })).items)).toBe(true);
    expect(Array.isArray((await c.auth.activity.query({ limit: 5 })).items)).toBe(true);
    expect(Array.isArray((await c.webhooks.deliveries.query({ id: webhookId, limit: 5 })).items)).toBe(true);
  });
});

describe('IPv6 webhook addresses: global unicast 2000::/3 only (item 6)', () => {
  it.each([
    '::127.0.0.1',
    '::7f00:1',
    '::a00:1',
    '::1.2.3.4',
    '::',
    '4000::1',
    'fec0::1',
    '100::1',
    '2001:db8::1',
    '2002:7f00:1::1',
    '2001::1',
    'ff02::1',
    'fe80::1',
    'fd00::1',
    '64:ff9b::a00:1',
  ])('refuses %s', (address) => {
    expect(forbiddenAddressReason(address)).not.toBeNull();
  });

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:81b::200e', '2001:4860:4860::8888', '8.8.8.8'])('allows %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });

  it('refuses http://[::127.0.0.1]:P/ at save on both wires, changing nothing', async () => {
    const before = (await rest(server.url, 'GET', '/webhooks', undefined, admin)).body.items.length;
    for (const host of ['[::127.0.0.1]', '[::7f00:1]', '[::]', '[4000::1]', '[2002:7f00:1::1]']) {
      const url = `http://${host}:8080/hook`;
      const r = await rest(server.url, 'POST', '/webhooks', { url, events: ['*'] }, admin);
      expect(r.status, host).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
      expect(r.body.message).toMatch(/^url: refused: /);
      await expect(server.trpc(await adminToken(server)).webhooks.create.mutate({ url, events: ['*'] })).rejects.toMatchObject({
        data: { code: 'BAD_REQUEST' },
      });
    }
    expect((await rest(server.url, 'GET', '/webhooks', undefined, admin)).body.items.length).toBe(before);
  });

  it('refuses [::7f00:1] at connect too (a row saved before this check): the receiver never hears of it', async () => {
    const receiver = await Receiver.start();
    try {
      const created = await rest(server.url, 'POST', '/webhooks', { url: 'https://example.com/hook', events: ['customer.created'] }, admin);
      const id = created.body.webhook.id as string;
      await sqlQuery(server.app.config.database, 'update webhooks set url = $1 where id = $2', [`http://[::7f00:1]:${receiver.port}/hook`, id]);
      expect((await rest(server.url, 'POST', '/customers', newCustomer(), admin)).status).toBe(200);
      let attempts: { error: string | null }[] = [];
      for (let i = 0; i < 100 && attempts.length < 1; i++) {
        await sleep(100);
        attempts = (await rest(server.url, 'GET', `/webhooks/${id}/deliveries`, undefined, admin)).body.items;
      }
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts[0]!.error).toMatch(/^refused: ::7f00:1 is a special-purpose address/);
      expect(receiver.received).toHaveLength(0);
      expect((await rest(server.url, 'DELETE', `/webhooks/${id}`, undefined, admin)).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });
});

describe('what a scope implies, the same on both wires (item 4, also seen)', () => {
  it('a customers:write key reads the record it could rewrite: GET and an empty PATCH agree on REST and tRPC', async () => {
    const c = newCustomer({ phone: '+44 20 7946 0000' });
    expect((await rest(server.url, 'POST', '/customers', c, admin)).status).toBe(200);
    const key = await createKey(server.url, admin, ['customers:write']);
    const viaGet = await rest(server.url, 'GET', customerPath(c.email), undefined, bearer(key));
    expect(viaGet.status).toBe(200);
    const viaPatch = await rest(server.url, 'PATCH', customerPath(c.email), {}, bearer(key));
    expect(viaPatch.status).toBe(200);
    expect(viaPatch.body).toEqual(viaGet.body);
    const client = server.trpc(key);
    const got = await client.customers.get.query({ email: c.email });
    const updated = await client.customers.update.mutate({ email: c.email });
    expect(updated).toEqual(got);
    expect(got.phone).toBe('+44 20 7946 0000');
    expect(got.version).toBe(viaGet.body.version);
  });

  it('a customers:read key still cannot write; a webhooks:manage key reads events; neither reads the audit', async () => {
    const reader = await createKey(server.url, admin, ['customers:read']);
    const refused = await rest(server.url, 'PATCH', customerPath('nobody@example.com'), {}, bearer(reader));
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ code: 'FORBIDDEN', message: 'This API key lacks the scope customers:write' });
    const manager = await createKey(server.url, admin, ['webhooks:manage']);
    const viaRest = await rest(server.url, 'GET', '/events?limit=1', undefined, bearer(manager));
    expect(viaRest.status).toBe(200);
    // The oldest event (a customer created by an earlier test): the same one on both wires.
    expect(viaRest.body.items).toHaveLength(1);
    const viaTrpc = await server.trpc(manager).events.list.query({ limit: 1 });
    expect(viaTrpc.items.map((e) => e.id)).toEqual(viaRest.body.items.map((e: { id: string }) => e.id));
    const audit = await rest(server.url, 'GET', '/audit', undefined, bearer(manager));
    expect(audit.status).toBe(403);
    await expect(server.trpc(manager).audit.list.query({})).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });

  it('the OpenAPI document says so where it matters', () => {
    const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8'));
    expect(doc.paths['/customers/{email}'].get.description).toContain('`customers:write`, which implies it');
    expect(doc.paths['/events'].get.description).toContain('`webhooks:manage`, which implies it');
  });
});
