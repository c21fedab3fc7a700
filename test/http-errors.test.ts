import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { customerPath, newCustomer, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let auth: Record<string, string>;
beforeAll(async () => {
  server = await startServer();
  auth = await adminHeaders(server);
});
afterAll(() => server.close());

/** Sends raw bytes and returns the raw HTTP answer, so nothing in a client hides what the server did. */
function rawRequest(port: number, head: string, body: Buffer | string = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    socket.write(head);
    socket.end(body);
  });
}

describe('HTTP errors follow the contract', () => {
  it('answers malformed JSON with 400 and changes nothing', async () => {
    const r = await rest(server.url, 'POST', '/customers', '{"email": "x@example.com", "firstName": ', auth);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'BAD_REQUEST' });
    expect(typeof r.body.message).toBe('string');
    expect((await rest(server.url, 'GET', customerPath('x@example.com'), undefined, auth)).status).toBe(404);
  });

  it('answers a JSON body that is not an object with 400', async () => {
    for (const body of ['[1,2]', '"text"', '42', 'null']) {
      const r = await rest(server.url, 'POST', '/customers', body, auth);
      expect(r.status, body).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
    }
  });

  it('answers a body over 1 MiB with 413, and the client receives it', async () => {
    const big = JSON.stringify({ ...newCustomer(), metadata: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const r = await rest(server.url, 'POST', '/customers', big, auth);
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) });
    const port = Number(new URL(server.url).port);
    const chunked = await rawRequest(
      port,
      `POST /customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n${Object.entries(auth)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
      big,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(chunked).toContain('PAYLOAD_TOO_LARGE');
  });

  it('answers a wrong content type with 415', async () => {
    const r = await fetch(`${server.url}/customers`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...auth },
      body: JSON.stringify(newCustomer()),
    });
    expect(r.status).toBe(415);
    expect(await r.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const form = await fetch(`${server.url}/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: 'email=a@b.c',
    });
    expect(form.status).toBe(415);
  });

  it('answers an unknown route with a JSON 404', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['PUT', '/customers'],
      ['GET', '/customers/a/b'],
    ] as const) {
      const r = await rest(server.url, method, path, undefined, auth);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
    }
  });

  it('echoes a sane x-request-id and makes one up otherwise', async () => {
    const r = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    const evil = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(evil.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('a 500', () => {
  it('carries no stack, SQL or detail, only the request id', async () => {
    const broken = await startServer();
    try {
      const h = await adminHeaders(broken);
      const cascade = broken.app.config.database.kind === 'postgresql' ? ' cascade' : '';
      await broken.app.orm.em.getConnection().execute(`drop table customers${cascade}`);
      const r = await rest(broken.url, 'GET', customerPath('a@example.com'), undefined, h);
      expect(r.status).toBe(500);
      expect(r.body.code).toBe('INTERNAL_SERVER_ERROR');
      expect(Object.keys(r.body).sort()).toEqual(['code', 'message']);
      expect(JSON.stringify(r.body)).not.toMatch(/select|customers|sqlite|table|\.ts|at /i);
      expect(r.headers.get('x-request-id')).toBeTruthy();
      const t = await fetch(`${broken.url}/trpc/customers.get?input=${encodeURIComponent(JSON.stringify({ json: { email: 'a@example.com' } }))}`, {
        headers: h,
      });
      expect(t.status).toBe(500);
      const text = await t.text();
      expect(text).not.toMatch(/select|sqlite|no such table|stack|\.ts:/i);
    } finally {
      await broken.close();
    }
  });
});

describe('malformed paths and batches', () => {
  it('answers a malformed percent-encoding or an over-long path parameter with our 400 JSON and a request id', async () => {
    for (const path of ['/customers/%ZZ', '/customers/%', '/auth/sessions/%E0%A4%A', `/customers/${'a'.repeat(600)}%40example.com`]) {
      const r = await rest(server.url, 'GET', path, undefined, auth);
      expect(r.status, path).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
      expect(r.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('keeps answering after tRPC batches whose calls conflict with each other', async () => {
    for (let i = 0; i < 3; i++) {
      const email = `batch${i}.${Date.now()}@example.com`;
      const one = { json: { email, firstName: 'A', lastName: 'B' } };
      const res = await fetch(`${server.url}/trpc/customers.create,customers.create?batch=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ 0: one, 1: one }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(207);
      const body = (await res.json()) as { result?: unknown; error?: { json: { data: { code: string } } } }[];
      expect(body.filter((b) => b.result)).toHaveLength(1);
      expect(body.find((b) => b.error)!.error!.json.data.code).toBe('CONFLICT');
    }
    expect((await rest(server.url, 'GET', '/customers?limit=1', undefined, auth)).status).toBe(200);
  });
});
