/**
 * The SDK as a machine caller: API keys, an Idempotency-Key on every mutation, retries that are
 * safe because of it, timeouts, and which calls open or end a session by declaration.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyProcedure } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCarlyClient, isCarlyError, PROCEDURES } from '../client-sdk/src/index.js';
import { appRouter } from '../server/trpc/root.js';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { newCustomer, rest, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
let apiKey: string;

beforeAll(async () => {
  server = await startServer();
  const created = await rest(server.url, 'POST', '/api-keys', { name: 'sdk', scopes: ['customers:read', 'customers:write'] }, await adminHeaders(server));
  apiKey = created.body.secret;
});
afterAll(() => server.close());

type Fault = 'drop-answer' | '503' | '429' | 'slow' | undefined;

/**
 * A proxy in front of the server that misbehaves on purpose: for each request it asks `fault`
 * what to do. `drop-answer` lets the server do the work, then closes the connection without
 * answering (the classic "did my POST happen?"); `503`/`429` answer without forwarding;
 * `slow` forwards but answers after 2 s.
 */
async function faultyProxy(fault: (path: string, n: number) => Fault) {
  const seen: { path: string; idempotencyKey: string | undefined }[] = [];
  const proxy = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0]!;
    seen.push({ path, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
    const what = fault(path, seen.filter((s) => s.path === path).length);
    if (what === '503' || what === '429') {
      res.writeHead(Number(what), { 'content-type': 'text/plain', ...(what === '429' ? { 'retry-after': '1' } : {}) }).end('busy');
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<
      string,
      string
    >;
    const upstream = await fetch(server.url + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (what === 'drop-answer') {
      req.socket.destroy();
      return;
    }
    if (what === 'slow') await new Promise((r) => setTimeout(r, 2000));
    if (res.destroyed) return;
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

const fastRetry = { retries: 3, baseDelayMs: 20, maxDelayMs: 100 };
const countByEmail = async (email: string) => (await sqlQuery(server.app.config.database, 'select id from customers where email = $1', [email])).length;

describe('an API key instead of a login', () => {
  it('calls as the key, with no tokens', async () => {
    const carly = createCarlyClient({ url: server.url, apiKey });
    const created = await carly.customers.create(newCustomer());
    expect((await carly.customers.get({ email: created.email })).id).toBe(created.id);
    expect(carly.tokens).toBeNull();
    const err = await carly.auth.me().catch((e: unknown) => e);
    expect(isCarlyError(err) && err.code).toBe('FORBIDDEN');
    expect(() => createCarlyClient({ url: server.url, apiKey, tokens: { accessToken: 'a', refreshToken: 'b' } })).toThrow(TypeError);
  });
});

describe('Idempotency-Key on every mutation', () => {
  it('sends a fresh key on each mutation, the given one when asked, none on queries or secret-returning calls; keyed calls go alone', async () => {
    const proxy = await faultyProxy(() => undefined);
    try {
      const carly = createCarlyClient({ url: proxy.url, apiKey });
      const [a, b] = await Promise.all([carly.customers.create(newCustomer()), carly.customers.create(newCustomer())]);
      await carly.customers.update({ email: a.email, company: 'Mine' }, { idempotencyKey: 'my-own-key-0001' });
      await carly.customers.get({ email: b.email });
      const creates = proxy.seen.filter((s) => s.path === '/trpc/customers.create');
      expect(creates).toHaveLength(2); // not one batch
      expect(creates.map((s) => s.idempotencyKey)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect(creates[0]!.idempotencyKey).not.toBe(creates[1]!.idempotencyKey);
      expect(proxy.seen.find((s) => s.path === '/trpc/customers.update')?.idempotencyKey).toBe('my-own-key-0001');
      expect(proxy.seen.find((s) => s.path === '/trpc/customers.get')?.idempotencyKey).toBeUndefined();
      const person = createCarlyClient({ url: proxy.url });
      await person.auth.login(TEST_ADMIN);
      expect(proxy.seen.find((s) => s.path === '/trpc/auth.login')?.idempotencyKey).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});

describe('retries', () => {
  it('a create whose answer was lost is retried with the same key: the customer exists once', async () => {
    const proxy = await faultyProxy((path, n) => (path === '/trpc/customers.create' && n === 1 ? 'drop-answer' : undefined));
    try {
      const carly = createCarlyClient({ url: proxy.url, apiKey, retry: fastRetry });
      const input = newCustomer();
      const created = await carly.customers.create(input);
      expect(created.email).toBe(input.email);
      const attempts = proxy.seen.filter((s) => s.path === '/trpc/customers.create');
      expect(attempts).toHaveLength(2);
      expect(attempts[1]!.idempotencyKey).toBe(attempts[0]!.idempotencyKey);
      expect(await countByEmail(input.email)).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('without retries the lost answer is a NETWORK_ERROR (and the create did happen: the reason for keys)', async () => {
    const proxy = await faultyProxy((path) => (path === '/trpc/customers.create' ? 'drop-answer' : undefined));
    try {
      const carly = createCarlyClient({ url: proxy.url, apiKey, retry: false });
      const input = newCustomer();
      const err = await carly.customers.create(input).catch((e: unknown) => e);
      expect(isCarlyError(err) && err.code).toBe('NETWORK_ERROR');
      expect(await countByEmail(input.email)).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('retries a 503 and a timeout; honours Retry-After on a 429', async () => {
    const proxy = await faultyProxy((path, n) => {
      if (path === '/trpc/customers.list') return n === 1 ? '503' : undefined;
      if (path === '/trpc/customers.get') return n === 1 ? 'slow' : undefined;
      if (path === '/trpc/customers.update') return n === 1 ? '429' : undefined;
      return undefined;
    });
    try {
      const carly = createCarlyClient({ url: proxy.url, apiKey, retry: fastRetry, timeoutMs: 500, batch: false });
      const c = await carly.customers.create(newCustomer());
      expect((await carly.customers.list({ limit: 1 })).items).toHaveLength(1);
      expect((await carly.customers.get({ email: c.email })).id).toBe(c.id);
      const started = Date.now();
      expect((await carly.customers.update({ email: c.email, company: 'After 429' })).company).toBe('After 429');
      // The server asked for a second: the retry waited for it, not the 20-100 ms backoff.
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      for (const path of ['/trpc/customers.list', '/trpc/customers.get', '/trpc/customers.update']) {
        expect(
          proxy.seen.filter((s) => s.path === path),
          path,
        ).toHaveLength(2);
      }
    } finally {
      await proxy.close();
    }
  });

  it('never retries another 4xx, nor a mutation without a key', async () => {
    const proxy = await faultyProxy((path) => (path === '/trpc/auth.login' ? '503' : undefined));
    try {
      const carly = createCarlyClient({ url: proxy.url, apiKey, retry: fastRetry });
      const c = await carly.customers.create(newCustomer());
      const err = await carly.customers.update({ email: c.email, company: 'x', version: 99 }).catch((e: unknown) => e);
      expect(isCarlyError(err) && err.code).toBe('CONFLICT');
      expect(proxy.seen.filter((s) => s.path === '/trpc/customers.update')).toHaveLength(1);
      const person = createCarlyClient({ url: proxy.url, retry: fastRetry });
      const loginErr = await person.auth.login(TEST_ADMIN).catch((e: unknown) => e);
      expect(isCarlyError(loginErr) && loginErr.status).toBe(503);
      expect(proxy.seen.filter((s) => s.path === '/trpc/auth.login')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('sessions by declaration', () => {
  const outputShape = (procedure: AnyProcedure): unknown => (procedure._def as { output?: unknown }).output;
  it('exactly the procedures whose answer carries tokens declare that they open a session', () => {
    const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
    const returnsTokens = Object.entries(procedures)
      .filter(([, p]) => {
        const output = outputShape(p);
        return output instanceof z.ZodObject && 'tokens' in output.shape;
      })
      .map(([name]) => name)
      .sort();
    const opens = Object.entries(PROCEDURES)
      .filter(([, d]) => 'session' in d && d.session === 'opens')
      .map(([name]) => name)
      .sort();
    expect(opens).toEqual(returnsTokens);
    expect(returnsTokens).toEqual(['auth.login', 'auth.refresh', 'auth.signup']);
    expect(
      Object.entries(PROCEDURES)
        .filter(([, d]) => 'session' in d && d.session === 'ends')
        .map(([n]) => n),
    ).toEqual(['auth.logout']);
  });
});
