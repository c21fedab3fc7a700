import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_SCOPES } from '../client-sdk/src/schemas/api-keys.js';
import { adminHeaders, bearer, signupCustomer } from './helpers/auth.js';
import { databaseText, sqlQuery } from './helpers/database.js';
import { rest, startServer, type TestServer } from './helpers/server.js';

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

interface AuditRow {
  action: string;
  target_id: string;
  actor_type: string;
  changes: unknown;
}

/** Managing webhooks: create (secret shown once, stored sealed), list, get, update, delete, rotate, and who may. */
describe('webhook management', () => {
  let server: TestServer;
  let admin: Record<string, string>;

  beforeAll(async () => {
    server = await startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    admin = await adminHeaders(server);
  });
  afterAll(() => server.close());

  const create = async (body: Record<string, unknown> = {}) => {
    const r = await rest(server.url, 'POST', '/webhooks', { url: 'https://example.com/hooks/carly?token=abc123', events: ['*'], ...body }, admin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { webhook: { id: string; url: string; events: string[]; status: string }; secret: string };
  };
  const audits = (id: string) =>
    sqlQuery<AuditRow>(server.app.config.database, 'select action, target_id, actor_type, changes from audit_entries where target_id = $1 order by id', [id]);
  const count = async (table: string) => Number((await sqlQuery<{ n: number }>(server.app.config.database, `select count(*) as n from ${table}`))[0]!.n);

  it('creates a webhook whose whsec_ secret is shown once, stored sealed, and never listed', async () => {
    const { webhook, secret } = await create({ events: ['customer.created', 'customer.updated'], description: 'CRM sync' });
    expect(secret).toMatch(SECRET);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(webhook).toEqual({
      id: expect.stringMatching(/^wh_[0-9a-f]{24}$/),
      url: 'https://example.com/hooks/carly?token=abc123',
      events: ['customer.created', 'customer.updated'],
      description: 'CRM sync',
      status: 'active',
      createdAt: expect.any(String),
      failingSince: null,
    });
    const listed = await rest(server.url, 'GET', '/webhooks', undefined, admin);
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((w: { id: string }) => w.id === webhook.id)).toEqual(webhook);
    const got = await rest(server.url, 'GET', `/webhooks/${webhook.id}`, undefined, admin);
    expect(got.body).toEqual(webhook);
    const key = secret.slice(6);
    for (const text of [JSON.stringify(listed.body), JSON.stringify(got.body)]) expect(text).not.toContain(key.slice(0, 12));
    // No 8-character stretch of the secret is anywhere in the database (it is sealed with AES-GCM).
    const stored = await databaseText(server.app.config.database);
    for (let i = 0; i + 8 <= key.length; i++) expect(stored).not.toContain(key.slice(i, i + 8));
    // The audit entry has the URL without its query (which may hold a token), and no secret.
    const [entry] = await audits(webhook.id);
    expect(entry!.action).toBe('webhook.created');
    expect(JSON.stringify(entry!.changes)).toContain('https://example.com/hooks/carly?[redacted]');
    expect(JSON.stringify(entry!.changes)).not.toContain('abc123');
  });

  it('refuses bad input with 400 naming the field, and creates nothing', async () => {
    const before = { webhooks: await count('webhooks'), audit: await count('audit_entries') };
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://example.com/x', events: ['*'] }, 'url'],
      [{ url: 'not a url', events: ['*'] }, 'url'],
      [{ url: 'https://user:pass@example.com/x', events: ['*'] }, 'url'],
      [{ url: 'https://example.com/x#frag', events: ['*'] }, 'url'],
      [{ url: `https://example.com/${'x'.repeat(2050)}`, events: ['*'] }, 'url'],
      [{ url: 'https://example.com/x', events: [] }, 'events'],
      [{ url: 'https://example.com/x', events: ['customer.exploded'] }, 'events.0'],
      [{ url: 'https://example.com/x', events: ['*', 'customer.created'] }, 'events'],
      [{ url: 'https://example.com/x', events: ['customer.created', 'customer.created'] }, 'events'],
      [{ url: 'https://example.com/x', events: ['*'], description: 'x'.repeat(501) }, 'description'],
      [{ url: 'https://example.com/x', events: ['*'], secret: 'whsec_mine' }, 'secret'],
      [{ events: ['*'] }, 'url'],
    ];
    for (const [body, field] of cases) {
      const r = await rest(server.url, 'POST', '/webhooks', body, admin);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
      expect(
        r.body.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    const { webhook } = await create();
    const bad = await rest(server.url, 'PATCH', `/webhooks/${webhook.id}`, { url: 'gopher://example.com', status: 'disabled' }, admin);
    expect(bad.status).toBe(400);
    expect((await rest(server.url, 'PATCH', `/webhooks/${webhook.id}`, { status: 'paused' }, admin)).status).toBe(400);
    expect((await rest(server.url, 'GET', `/webhooks/${webhook.id}`, undefined, admin)).body).toMatchObject({ status: 'active', url: webhook.url });
    expect(await count('webhooks')).toBe(before.webhooks + 1);
    expect(await count('audit_entries')).toBe(before.audit + 1);
  });

  it('updates url, events, description and status; each change audited, failingSince cleared on re-enable', async () => {
    const { webhook } = await create({ description: 'first' });
    const path = `/webhooks/${webhook.id}`;
    const r = await rest(
      server.url,
      'PATCH',
      path,
      { url: 'https://example.org/new', events: ['customer.deleted'], description: null, status: 'disabled' },
      admin,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: webhook.id, url: 'https://example.org/new', events: ['customer.deleted'], description: null, status: 'disabled' });
    expect((await rest(server.url, 'GET', path, undefined, admin)).body).toEqual(r.body);
    // Nothing changes: nothing audited.
    expect((await rest(server.url, 'PATCH', path, { status: 'disabled' }, admin)).status).toBe(200);
    const again = await rest(server.url, 'PATCH', path, { status: 'active' }, admin);
    expect(again.body.status).toBe('active');
    const entries = await audits(webhook.id);
    expect(entries.map((e) => e.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.updated']);
    const changes = (typeof entries[1]!.changes === 'string' ? JSON.parse(entries[1]!.changes) : entries[1]!.changes) as Record<string, unknown>;
    expect(changes).toEqual({
      url: ['https://example.com/hooks/carly?[redacted]', 'https://example.org/new'],
      events: [['*'], ['customer.deleted']],
      description: ['first', null],
      status: ['active', 'disabled'],
    });
    expect((await rest(server.url, 'PATCH', '/webhooks/wh_nope', { status: 'disabled' }, admin)).status).toBe(404);
  });

  it('rotates the secret (shown once) and deletes: 404 afterwards; both audited', async () => {
    const { webhook, secret } = await create();
    const rotated = await rest(server.url, 'POST', `/webhooks/${webhook.id}/rotate-secret`, undefined, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(SECRET);
    expect(rotated.body.secret).not.toBe(secret);
    const stored = await databaseText(server.app.config.database);
    expect(stored).not.toContain(rotated.body.secret.slice(6, 20));
    const deleted = await rest(server.url, 'DELETE', `/webhooks/${webhook.id}`, undefined, admin);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ deleted: true, id: webhook.id });
    for (const [method, path] of [
      ['GET', `/webhooks/${webhook.id}`],
      ['DELETE', `/webhooks/${webhook.id}`],
      ['POST', `/webhooks/${webhook.id}/rotate-secret`],
      ['POST', `/webhooks/${webhook.id}/test`],
      ['GET', `/webhooks/${webhook.id}/deliveries`],
    ] as const) {
      const r = await rest(server.url, method, path, undefined, admin);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
    }
    expect((await audits(webhook.id)).map((e) => e.action)).toEqual(['webhook.created', 'webhook.secretRotated', 'webhook.deleted']);
  });

  it('refuses an Idempotency-Key on the operations that answer a secret', async () => {
    const { webhook } = await create();
    const key = { ...admin, 'idempotency-key': `k-${Date.now()}` };
    const before = await count('webhooks');
    const created = await rest(server.url, 'POST', '/webhooks', { url: 'https://example.com/x', events: ['*'] }, key);
    expect(created.status).toBe(400);
    const rotated = await rest(server.url, 'POST', `/webhooks/${webhook.id}/rotate-secret`, undefined, key);
    expect(rotated.status).toBe(400);
    expect(await count('webhooks')).toBe(before);
    // Other changes take one.
    const patched = await rest(server.url, 'PATCH', `/webhooks/${webhook.id}`, { description: 'keyed' }, key);
    expect(patched.status).toBe(200);
  });

  it('lets admins and webhooks:manage keys in; customers, other keys and strangers out', async () => {
    const { webhook } = await create();
    const makeKey = async (scopes: string[]) => {
      const r = await rest(server.url, 'POST', '/api-keys', { name: 'hooks', scopes }, admin);
      expect(r.status).toBe(200);
      return bearer(r.body.secret as string);
    };
    const manager = await makeKey(['webhooks:manage']);
    const other = await makeKey(API_KEY_SCOPES.filter((s) => s !== 'webhooks:manage'));
    const customer = bearer((await signupCustomer(server)).tokens.accessToken);
    const operations: [string, string, unknown?][] = [
      ['GET', '/webhooks'],
      ['GET', `/webhooks/${webhook.id}`],
      ['PATCH', `/webhooks/${webhook.id}`, { description: 'by key' }],
      ['GET', `/webhooks/${webhook.id}/deliveries`],
      ['POST', `/webhooks/${webhook.id}/rotate-secret`],
    ];
    for (const [method, path, body] of operations) {
      const refused = await rest(server.url, method, path, body, other);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body).toEqual({ code: 'FORBIDDEN', message: 'This API key lacks the scope webhooks:manage' });
      expect((await rest(server.url, method, path, body, customer)).status, `${method} ${path}`).toBe(403);
      expect((await rest(server.url, method, path, body)).status, `${method} ${path}`).toBe(401);
      expect((await rest(server.url, method, path, body, manager)).status, `${method} ${path}`).toBe(200);
    }
    const viaKey = await rest(server.url, 'POST', '/webhooks', { url: 'https://example.com/k', events: ['*'] }, manager);
    expect(viaKey.status).toBe(200);
    const [entry] = await audits(viaKey.body.webhook.id);
    expect(entry!.actor_type).toBe('apiKey');
    // tRPC: the same rule.
    const trpcRefusal = await server
      .trpc((await signupCustomer(server)).tokens.accessToken)
      .webhooks.list.query()
      .then(
        () => 'OK',
        (err: { data?: { code?: string } }) => err.data?.code,
      );
    expect(trpcRefusal).toBe('FORBIDDEN');
    expect((await server.trpc(manager.authorization!.slice(7)).webhooks.get.query({ id: webhook.id })).id).toBe(webhook.id);
  });

  it('pages the deliveries list with a cursor and refuses a forged one', async () => {
    const { webhook } = await create();
    const page = await rest(server.url, 'GET', `/webhooks/${webhook.id}/deliveries?limit=5`, undefined, admin);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ items: [], nextCursor: null });
    for (const bad of ['cursor=abc', 'cursor=att_0', 'limit=0', 'limit=201']) {
      const r = await rest(server.url, 'GET', `/webhooks/${webhook.id}/deliveries?${bad}`, undefined, admin);
      expect(r.status, bad).toBe(400);
    }
  });
});
