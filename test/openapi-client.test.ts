/**
 * Non-TypeScript-SDK callers: a client generated from the committed openapi.json by third-party
 * tools (openapi-typescript for the types, openapi-fetch for the calls) runs the customer and
 * account flows over REST. Every answer is validated against the document (status documented
 * for the operation, body matching its schema) by test/helpers/openapi-validate.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import createClient, { type Middleware } from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE } from '../scripts/lib/openapi-file.js';
import { findOperation, OpenApiMismatch, validateResponse } from './helpers/openapi-validate.js';
import { resetToken, waitForMail } from './helpers/outbox.js';
import { ROOT } from './helpers/process.js';
import { newCustomer, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts', `openapi-client-${process.env.CARLY_TEST_DIALECT ?? 'sqlite'}`);

let server: TestServer;
/** Every answer the generated client received: `METHOD template status`. */
const seen: string[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** An openapi-fetch client whose every answer is checked against openapi.json. */
function generatedClient(token?: () => string | undefined) {
  // The runtime client is untyped here; the typed use of the generated `paths` is compiled below.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const client = createClient<any>({ baseUrl: server.url });
  const auth: Middleware = {
    onRequest({ request }) {
      const t = token?.();
      if (t) request.headers.set('authorization', `Bearer ${t}`);
      return request;
    },
  };
  const validating: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const text = await response.clone().text();
      const url = new URL(request.url);
      // An NDJSON stream (GET /customers/export): its schema is that of each line.
      const ndjson = response.headers.get('content-type')?.startsWith('application/x-ndjson');
      const csv = response.headers.get('content-type')?.startsWith('text/csv');
      const bodies = ndjson
        ? text
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : csv
          ? [text]
          : [text ? JSON.parse(text) : null];
      let match = validateResponse(request.method, url.pathname + url.search, response.status, bodies[0] ?? null, { headers: response.headers });
      for (const body of bodies.slice(1))
        match = validateResponse(request.method, url.pathname + url.search, response.status, body, { headers: response.headers });
      expect(match.template).toBe(schemaPath);
      seen.push(`${request.method} ${match.template} ${response.status}`);
      return response;
    },
  };
  client.use(auth, validating);
  return client;
}

describe('a client generated from openapi.json', () => {
  it('openapi-typescript turns the document into types that type-check a typed use of openapi-fetch', async () => {
    const doc = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
    const source = astToString(await openapiTS(doc));
    expect(source).toContain('"/customers/{email}"');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'schema.d.ts'), source);
    const program = path.join(ARTIFACTS, 'typed-use.ts');
    fs.writeFileSync(
      program,
      `import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type Customer = components['schemas']['Customer'];
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8000' });

export async function typedUse(): Promise<void> {
  const login = await client.POST('/auth/login', { body: { email: 'ada@example.com', password: 'secret-secret' } });
  if (login.data) {
    const token: string = login.data.tokens.accessToken;
    const kind: 'Bearer' = login.data.tokens.tokenType;
    void [token, kind];
  }
  if (login.error) {
    const code: components['schemas']['Error']['code'] = login.error.code;
    void code;
  }
  const got = await client.GET('/customers/{email}', { params: { path: { email: 'a+b@example.com' } } });
  if (got.data) {
    const c: Customer = got.data;
    const created: string = c.createdAt; // an ISO string on REST
    const version: number = c.version;
    void [created, version];
  }
  const page = await client.GET('/customers', { params: { query: { limit: 10, q: 'ada', sort: '-createdAt' } } });
  if (page.data) {
    const next: string | null = page.data.nextCursor;
    void next;
  }
  await client.PATCH('/customers/{email}', { params: { path: { email: 'ada@example.com' } }, body: { company: 'AE', version: 2 } });
  await client.DELETE('/customers/{email}', { params: { path: { email: 'ada@example.com' } } });
  // @ts-expect-error: firstName and lastName are required
  await client.POST('/customers', { body: { email: 'ada@example.com' } });
  // @ts-expect-error: not a sort key
  await client.GET('/customers', { params: { query: { sort: 'firstName' } } });
  // @ts-expect-error: no such path
  await client.GET('/customer/{email}', { params: { path: { email: 'x' } } });
}
`,
    );
    const compiled = ts.createProgram([program], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(compiled).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('runs the customer flow, every answer as documented', async () => {
    const api = generatedClient();
    const failed = await api.POST('/auth/login', { body: { email: TEST_ADMIN.email, password: 'wrong-password-here' } });
    expect(failed.response.status).toBe(401);
    expect(failed.error).toMatchObject({ code: 'UNAUTHORIZED' });
    const login = await api.POST('/auth/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    expect(login.response.status).toBe(200);
    const token = login.data.tokens.accessToken as string;
    const admin = generatedClient(() => token);

    const email = `o+${Date.now()}@example.com`;
    const body = newCustomer({ email, phone: '+44 20 7946 0958', address: { line1: '1 Way', city: 'Leeds', country: 'gb' }, metadata: { plan: 'pro' } });
    const created = await admin.POST('/customers', { body });
    expect(created.response.status).toBe(200);
    expect(created.data).toMatchObject({ email, version: 1, address: { country: 'GB', line2: null } });
    expect(typeof created.data.createdAt).toBe('string');
    expect((await admin.POST('/customers', { body })).response.status).toBe(409);
    const invalid = await admin.POST('/customers', { body: { email: 'nope', firstName: 'A', lastName: 'B', extra: 1 } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['email', 'extra']);

    // openapi-fetch percent-encodes the path parameter: a+b@… travels as a%2Bb%40….
    const got = await admin.GET('/customers/{email}', { params: { path: { email: email.toUpperCase() } } });
    expect(got.response.status).toBe(200);
    expect(got.data.email).toBe(email);
    expect((await admin.GET('/customers/{email}', { params: { path: { email: 'nobody@example.com' } } })).response.status).toBe(404);

    const updated = await admin.PATCH('/customers/{email}', { params: { path: { email } }, body: { company: 'AE', version: 1 } });
    expect(updated.response.status).toBe(200);
    expect(updated.data.version).toBe(2);
    const stale = await admin.PATCH('/customers/{email}', { params: { path: { email } }, body: { company: 'Late', version: 1 } });
    expect(stale.response.status).toBe(409);
    expect(stale.error.code).toBe('CONFLICT');

    const tag = `page${Date.now()}`;
    for (let i = 0; i < 3; i++) expect((await admin.POST('/customers', { body: newCustomer({ email: `${tag}.${i}@example.com` }) })).response.status).toBe(200);
    const emails: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.GET('/customers', { params: { query: { limit: 2, q: tag, sort: 'email', ...(cursor ? { cursor } : {}) } } });
      expect(page.response.status).toBe(200);
      emails.push(...page.data.items.map((c: { email: string }) => c.email));
      cursor = page.data.nextCursor ?? undefined;
    } while (cursor);
    expect(emails).toEqual([0, 1, 2].map((i) => `${tag}.${i}@example.com`));
    // Search: newest first, a page of 2 of the 3, then the rest through the cursor tied to the query.
    const found = await admin.GET('/customers/search', { params: { query: { q: tag, limit: 2 } } });
    expect(found.response.status).toBe(200);
    expect(found.data.items.map((c: { email: string }) => c.email)).toEqual([2, 1].map((i) => `${tag}.${i}@example.com`));
    const rest = await admin.GET('/customers/search', { params: { query: { q: tag, cursor: found.data.nextCursor } } });
    expect(rest.data.items.map((c: { email: string }) => c.email)).toEqual([`${tag}.0@example.com`]);
    expect((await admin.GET('/customers/search', { params: { query: { query: 'email~' } } })).response.status).toBe(400);
    expect((await admin.GET('/customers', { params: { query: { cursor: 'forged' } } })).response.status).toBe(400);
    expect((await admin.GET('/customers', { params: { query: { limit: 0 } } })).response.status).toBe(400);

    for (const e of [email, ...emails]) {
      const deleted = await admin.DELETE('/customers/{email}', { params: { path: { email: e } } });
      expect(deleted.response.status).toBe(200);
      expect(deleted.data).toEqual({ deleted: true, email: e });
    }
    expect((await admin.DELETE('/customers/{email}', { params: { path: { email } } })).response.status).toBe(404);
    expect((await generatedClient().GET('/customers', {})).response.status).toBe(401);
  });

  it('runs the account flow, every answer as documented', async () => {
    let token: string | undefined;
    const api = generatedClient(() => token);
    const email = `acct${Date.now()}@example.com`;
    const signup = await api.POST('/auth/signup', { body: { email, password: 'Sturdy-openapi-pass-1', firstName: 'Open', lastName: 'Api' } });
    expect(signup.response.status).toBe(200);
    token = signup.data.tokens.accessToken;
    expect((await api.POST('/auth/signup', { body: { email, password: 'Sturdy-openapi-pass-1', firstName: 'Open', lastName: 'Api' } })).response.status).toBe(
      409,
    );
    const weak = await api.POST('/auth/signup', { body: { email: `w${email}`, password: 'short', firstName: 'W', lastName: 'K' } });
    expect(weak.response.status).toBe(400);

    const me = await api.GET('/auth/me', {});
    expect(me.response.status).toBe(200);
    expect(me.data.customer.email).toBe(email);
    expect((await api.GET('/customers/{email}', { params: { path: { email } } })).response.status).toBe(200);
    expect((await api.GET('/customers/{email}', { params: { path: { email: TEST_ADMIN.email } } })).response.status).toBe(403);
    expect((await api.GET('/customers', {})).response.status).toBe(403);

    const second = await api.POST('/auth/login', { body: { email, password: 'Sturdy-openapi-pass-1' } });
    expect(second.response.status).toBe(200);
    const sessions = await api.GET('/auth/sessions', {});
    expect(sessions.response.status).toBe(200);
    expect(sessions.data.items).toHaveLength(2);
    const other = sessions.data.items.find((s: { current: boolean }) => !s.current);
    expect((await api.DELETE('/auth/sessions/{id}', { params: { path: { id: other.id } } })).response.status).toBe(200);
    expect((await api.DELETE('/auth/sessions/{id}', { params: { path: { id: other.id } } })).response.status).toBe(404);

    const refreshed = await api.POST('/auth/refresh', { body: { refreshToken: signup.data.tokens.refreshToken } });
    expect(refreshed.response.status).toBe(200);
    token = refreshed.data.tokens.accessToken;
    expect((await api.POST('/auth/refresh', { body: { refreshToken: 'spent-or-made-up' } })).response.status).toBe(401);

    expect(
      (await api.POST('/auth/password', { body: { currentPassword: 'Sturdy-openapi-pass-1', newPassword: 'Sturdy-openapi-pass-2' } })).response.status,
    ).toBe(200);
    expect((await api.POST('/auth/reset', { body: { email } })).response.status).toBe(200);
    expect((await api.POST('/auth/reset', { body: { email: 'nobody@example.com' } })).response.status).toBe(200);
    const resetTokenValue = resetToken(await waitForMail(server.dataDir, email));
    expect((await api.POST('/auth/reset/confirm', { body: { token: resetTokenValue, newPassword: 'Sturdy-openapi-pass-3' } })).response.status).toBe(200);
    expect((await api.POST('/auth/reset/confirm', { body: { token: resetTokenValue, newPassword: 'Sturdy-openapi-pass-4' } })).response.status).toBe(400);
    // The reset ended every session, this one included.
    expect((await api.GET('/auth/me', {})).response.status).toBe(401);

    const login = await api.POST('/auth/login', { body: { email, password: 'Sturdy-openapi-pass-3' } });
    expect(login.response.status).toBe(200);
    token = login.data.tokens.accessToken;
    expect((await api.POST('/auth/logout', {})).response.status).toBe(200);
    expect((await api.GET('/auth/me', {})).response.status).toBe(401);
  });

  it('runs the API key flow, every answer as documented', async () => {
    const login = await generatedClient().POST('/auth/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    const admin = generatedClient(() => login.data.tokens.accessToken as string);
    const created = await admin.POST('/api-keys', { body: { name: 'openapi flow', scopes: ['customers:read'], expiresAt: '2099-01-01T00:00:00Z' } });
    expect(created.response.status).toBe(200);
    const secret = created.data.secret as string;
    const listed = await admin.GET('/api-keys', {});
    expect(listed.response.status).toBe(200);
    expect(listed.data.items.map((k: { id: string }) => k.id)).toContain(created.data.apiKey.id);
    const machine = generatedClient(() => secret);
    expect((await machine.GET('/customers', {})).response.status).toBe(200);
    const refused = await machine.POST('/customers', { body: newCustomer() });
    expect(refused.response.status).toBe(403);
    expect(refused.error.message).toBe('This API key lacks the scope customers:write');
    const revoked = await admin.DELETE('/api-keys/{id}', { params: { path: { id: created.data.apiKey.id } } });
    expect(revoked.response.status).toBe(200);
    expect((await machine.GET('/customers', {})).response.status).toBe(401);
  });

  it('claims an existing record through the verification link, every answer as documented', async () => {
    let token: string | undefined;
    const api = generatedClient(() => token);
    token = (await api.POST('/auth/login', { body: TEST_ADMIN })).data.tokens.accessToken;
    const record = newCustomer();
    expect((await api.POST('/customers', { body: record })).response.status).toBe(200);
    const signup = await api.POST('/auth/signup', { body: { ...record, password: 'Sturdy-openapi-claim-1' } });
    expect(signup.response.status).toBe(200);
    expect(signup.data.customer).toBeNull();
    token = signup.data.tokens.accessToken;
    expect((await api.GET('/customers/{email}', { params: { path: { email: record.email } } })).response.status).toBe(403);
    const link = (await waitForMail(server.dataDir, record.email)).text.match(/https?:\/\/\S+\/verify\?token=\S+/)![0];
    const verifyToken = new URL(link).searchParams.get('token')!;
    expect((await api.POST('/auth/verify', { body: { token: `${verifyToken}x` } })).response.status).toBe(400);
    const verified = await api.POST('/auth/verify', { body: { token: verifyToken } });
    expect(verified.response.status).toBe(200);
    expect(verified.data.customer.email).toBe(record.email);
    expect((await api.GET('/customers/{email}', { params: { path: { email: record.email } } })).response.status).toBe(200);
  });

  it('runs the webhook flow, every answer as documented', async () => {
    const login = await generatedClient().POST('/auth/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    const admin = generatedClient(() => login.data.tokens.accessToken as string);
    const created = await admin.POST('/webhooks', { body: { url: 'https://example.com/hooks/carly', events: ['*'], description: 'openapi flow' } });
    expect(created.response.status).toBe(200);
    expect(created.data.secret).toMatch(/^whsec_/);
    const id = created.data.webhook.id as string;
    const path = { params: { path: { id } } };
    expect((await admin.GET('/webhooks', {})).data.items.map((w: { id: string }) => w.id)).toContain(id);
    expect((await admin.GET('/webhooks/{id}', path)).response.status).toBe(200);
    expect((await admin.PATCH('/webhooks/{id}', { ...path, body: { description: 'renamed' } })).data.description).toBe('renamed');
    expect((await admin.POST('/webhooks/{id}/test', path)).response.status).toBe(200);
    expect((await admin.GET('/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 10 } } })).response.status).toBe(200);
    // The test message's first attempt (example.com is not reachable from here, or refuses) is recorded; then resend it.
    let attempts: { deliveryId: string }[] = [];
    for (let i = 0; i < 400 && !attempts.length; i++) {
      attempts = (await admin.GET('/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 10 } } })).data.items;
      if (!attempts.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const resent = await admin.POST('/webhooks/{id}/deliveries/{deliveryId}/resend', { params: { path: { id, deliveryId: attempts[0]!.deliveryId } } });
    expect(resent.response.status).toBe(200);
    expect(resent.data.deliveryId).toBe(attempts[0]!.deliveryId);
    expect((await admin.POST('/webhooks/{id}/rotate-secret', path)).data.secret).toMatch(/^whsec_/);
    expect((await admin.DELETE('/webhooks/{id}', path)).response.status).toBe(200);
    expect((await admin.GET('/webhooks/{id}', path)).response.status).toBe(404);
  });

  it('runs the audit and privacy flow, every answer as documented', async () => {
    const login = await generatedClient().POST('/auth/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    const admin = generatedClient(() => login.data.tokens.accessToken as string);
    let token: string | undefined;
    const person = generatedClient(() => token);
    const email = `privacy${Date.now()}@example.com`;
    const signup = await person.POST('/auth/signup', { body: { email, password: 'Sturdy-openapi-pass-9', firstName: 'Pri', lastName: 'Vacy' } });
    token = signup.data.tokens.accessToken;
    const activity = await person.GET('/auth/activity', { params: { query: { limit: 10 } } });
    expect(activity.response.status).toBe(200);
    expect(activity.data.items.map((e: { action: string }) => e.action)).toEqual(['auth.signup']);
    expect((await person.GET('/audit', {})).response.status).toBe(403);
    const audit = await admin.GET('/audit', { params: { query: { target: signup.data.customer.id, action: 'customer.*' } } });
    expect(audit.response.status).toBe(200);
    expect(audit.data.items.map((e: { action: string }) => e.action)).toEqual(['customer.created']);
    const exported = await person.GET('/customers/{email}/export', { params: { path: { email } } });
    expect(exported.response.status).toBe(200);
    expect(exported.data.customer.email).toBe(email);
    expect((await person.POST('/customers/{email}/erase', { params: { path: { email } }, body: { confirm: 'not.me@example.com' } })).response.status).toBe(400);
    const erased = await person.POST('/customers/{email}/erase', { params: { path: { email } }, body: { confirm: email } });
    expect(erased.response.status).toBe(200);
    expect(erased.data).toEqual({ erased: true, scrubPending: false });
    expect((await person.GET('/auth/me', {})).response.status).toBe(401);
    expect((await admin.POST('/customers/{email}/erase', { params: { path: { email } }, body: { confirm: email } })).response.status).toBe(404);
  });

  it('runs the change-events flow, every answer as documented', async () => {
    const login = await generatedClient().POST('/auth/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    const admin = generatedClient(() => login.data.tokens.accessToken as string);
    expect((await admin.POST('/customers', { body: newCustomer() })).response.status).toBe(200);
    const page = await admin.GET('/events', { params: { query: { limit: 2, types: 'customer.created,customer.updated' } } });
    expect(page.response.status).toBe(200);
    expect(page.data.items.length).toBeGreaterThan(0);
    const next = await admin.GET('/events', { params: { query: { after: page.data.nextCursor } } });
    expect(next.response.status).toBe(200);
    const bad = await admin.GET('/events', { params: { query: { types: 'customer.exploded' } } });
    expect(bad.response.status).toBe(400);
  });

  it('runs a bulk import and a bulk export (the REST streaming routes), every answer as documented', async () => {
    const login = await generatedClient().POST('/auth/login', { body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
    const admin = generatedClient(() => login.data.tokens.accessToken as string);
    const rows = [newCustomer(), newCustomer()].map((c) => JSON.stringify(c)).join('\n');
    const imported = await admin.POST('/customers/import', {
      body: rows,
      bodySerializer: (b: string) => b,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(imported.response.status).toBe(200);
    expect(imported.data).toMatchObject({ read: 2, inserted: 2 });
    const exported = await admin.GET('/customers/export', { params: { query: { format: 'ndjson' } }, parseAs: 'text' });
    expect(exported.response.status).toBe(200);
    expect(exported.response.headers.get('carly-events-after')).toMatch(/^evt_\d+$/);
    const csv = await admin.GET('/customers/export', { params: { query: { format: 'csv' } }, parseAs: 'text' });
    expect(csv.response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });

  it('every operation in the document was exercised with a 200', () => {
    const doc = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p} 200`));
    expect(operations.filter((op) => !seen.includes(op))).toEqual([]);
  });
});

describe('openapi-validate', () => {
  const customer = {
    id: 'cus_9c1d0e2f3a4b5c6d7e8f9a0b',
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: null,
    company: null,
    address: null,
    metadata: {},
    createdAt: '2026-01-15T09:30:00.000Z',
    updatedAt: '2026-01-15T09:30:00.000Z',
    version: 1,
  };

  it('matches concrete, percent-encoded paths with a query to their template', () => {
    expect(findOperation('GET', '/customers/a%2Bb%40example.com')).toMatchObject({ template: '/customers/{email}', params: { email: 'a+b@example.com' } });
    expect(findOperation('get', '/customers?limit=2&q=ada')?.template).toBe('/customers');
    expect(findOperation('DELETE', '/auth/sessions/5f0c')?.template).toBe('/auth/sessions/{id}');
    expect(findOperation('GET', '/auth/sessions')?.template).toBe('/auth/sessions');
    expect(findOperation('PUT', '/customers/x')).toBeUndefined();
    expect(findOperation('GET', '/health')).toBeUndefined();
  });

  it('accepts a documented answer and refuses an undocumented status, field, type or format', () => {
    expect(() => validateResponse('GET', '/customers/ada%40example.com', 200, customer)).not.toThrow();
    expect(() => validateResponse('GET', '/customers/{email}', 404, { code: 'NOT_FOUND', message: 'No such customer' })).not.toThrow();
    const refused = (status: number, body: unknown, re: RegExp) => {
      expect(() => validateResponse('GET', '/customers/ada%40example.com', status, body)).toThrow(OpenApiMismatch);
      expect(() => validateResponse('GET', '/customers/ada%40example.com', status, body)).toThrow(re);
    };
    refused(418, customer, /status 418 is not documented/);
    refused(201, customer, /status 201 is not documented/);
    refused(200, { ...customer, secret: 'x' }, /additional properties "secret"/);
    refused(200, { ...customer, version: '1' }, /\/version must be integer/);
    refused(200, { ...customer, createdAt: 'yesterday' }, /\/createdAt must match format "date-time"/);
    refused(200, { ...customer, email: undefined }, /must have required property 'email'/);
    refused(404, { code: 'NOT_FOUND', message: 'x', stack: 'at ...' }, /additional properties "stack"/);
    refused(404, { code: 'GONE', message: 'x' }, /\/code must be equal to one of the allowed values/);
    expect(() => validateResponse('GET', '/nope', 200, {})).toThrow(/no such operation/);
    expect(() => validateResponse('GET', '/customers/ada%40example.com', 200, customer, { headers: { 'content-type': 'text/html' } })).toThrow(
      /content-type text\/html/,
    );
  });
});
