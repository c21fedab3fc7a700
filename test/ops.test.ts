import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders } from './helpers/auth.js';
import { customerPath, rest, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

describe('operations routes', () => {
  it('describes the service at /', async () => {
    const r = await rest(server.url, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'carly', links: { docs: '/api/ui/', openapi: '/api/openapi.json', trpc: '/trpc' } });
  });

  it('reports liveness and readiness with the database kind', async () => {
    expect((await rest(server.url, 'GET', '/health')).body).toEqual({ status: 'ok' });
    const ready = await rest(server.url, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.database).toEqual({ kind: server.app.config.database.kind, ok: true, latencyMs: expect.any(Number) });
    expect(ready.body.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('counts requests and latency per operation in Prometheus text, with process metrics', async () => {
    const auth = await adminHeaders(server);
    await rest(server.url, 'GET', customerPath('nobody@example.com'), undefined, auth);
    await fetch(`${server.url}/trpc/customers.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, { headers: auth });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/carly_requests_total\{operation="customers.get",status="404"\} 1/);
    expect(text).toMatch(/carly_request_duration_seconds_bucket\{le="0.005",operation="customers.get"\}/);
    expect(text).toMatch(/carly_requests_total\{operation="trpc:customers.list",status="\d+"\} 1/);
    expect(text).toContain('process_resident_memory_bytes');
    await fetch(`${server.url}/trpc/no.such,thing`);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('operation="trpc:unknown"');
  });

  it('sends security headers', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBeTruthy();
  });

  it('answers /ready with 503 when the database is gone', async () => {
    const other = await startServer();
    await other.app.orm.close(true);
    const r = await rest(other.url, 'GET', '/ready');
    expect(r.status).toBe(503);
    expect(r.body.database.ok).toBe(false);
    await other.app.http.close().catch(() => undefined);
    await other.close().catch(() => undefined);
  });
});

describe('CORS', () => {
  it('answers preflight OPTIONS for allowed origins on REST paths (no clash with the REST routes)', async () => {
    const cors = await startServer({ CORS_ORIGINS: 'https://app.example' });
    try {
      const pre = await fetch(`${cors.url}/customers/a%40b.c`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const denied = await fetch(`${cors.url}/health`, { headers: { origin: 'https://evil.example' } });
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      const exposed = await fetch(`${cors.url}/health`, { headers: { origin: 'https://app.example' } });
      expect(exposed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    } finally {
      await cors.close();
    }
  });
});
