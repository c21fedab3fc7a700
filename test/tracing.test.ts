/**
 * OpenTelemetry tracing against an in-process OTLP/HTTP receiver (scripts/lib/otlp-receiver.ts):
 * the spans a REST call, a tRPC batch and the tRPC fast lane produce, their parent/child links,
 * a caller's traceparent continued (by hand and by the SDK), errors on the spans, trace ids in the
 * log, the flush at shutdown, and nothing at all with the variable unset.
 */
// The batch processor waits 5 s between exports by default; the SDK reads this when tracing starts.
process.env.OTEL_BSP_SCHEDULE_DELAY = '50';

import { randomBytes } from 'node:crypto';
import * as otel from '@opentelemetry/api';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCarlyClient } from '../client-sdk/src/index.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../scripts/lib/otlp-receiver.js';
import { ConfigError, loadConfig } from '../server/config.js';
import { adminHeaders } from './helpers/auth.js';
import { sqlQuery } from './helpers/database.js';
import { nodeArgs, run, spawnServer } from './helpers/process.js';
import { customerPath, newCustomer, rest, startServer, TEST_ADMIN, type TestServer, tempDir, usingPostgres } from './helpers/server.js';

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;
const ERROR = 2;

const dialect = () => (usingPostgres() ? 'postgresql' : 'sqlite');
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The server span of the request that carried `requestId`, once the receiver has it. */
async function serverSpan(receiver: OtlpReceiver, requestId: string): Promise<ReceivedSpan> {
  const spans = await receiver.waitFor((all) => all.some((s) => s.kind === SERVER && s.attributes['carly.request_id'] === requestId));
  return spans.find((s) => s.kind === SERVER && s.attributes['carly.request_id'] === requestId)!;
}

/** The children of `parent` once the receiver holds `count` of them (spans end, and arrive, child first). */
async function childrenOf(receiver: OtlpReceiver, parent: ReceivedSpan, count: number): Promise<ReceivedSpan[]> {
  const spans = await receiver.waitFor((all) => all.filter((s) => s.parentSpanId === parent.spanId).length >= count);
  return spans.filter((s) => s.parentSpanId === parent.spanId);
}

/** Statement spans under a procedure span: they exist, carry SQL with placeholders and no values. */
function expectStatementSpans(statements: ReceivedSpan[], procedure: ReceivedSpan, secret: string) {
  expect(statements.length).toBeGreaterThan(0);
  for (const s of statements) {
    expect(s.kind).toBe(CLIENT);
    expect(s.traceId).toBe(procedure.traceId);
    expect(s.attributes['db.system.name']).toBe(dialect());
    expect(typeof s.attributes['db.query.text']).toBe('string');
    expect(s.attributes['db.query.text']).not.toContain(secret);
  }
}

describe('tracing configuration (the standard OTEL_* variables)', () => {
  it('is off without an endpoint, on with one', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: undefined,
    });
  });

  it('follows the spec for endpoints, protocols and the switches that turn it off', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example/base/' }).tracing?.tracesUrl).toBe('https://otlp.example/base/v1/traces');
    // The signal's own endpoint is used as given, and wins.
    const specific = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://ingest.example/api/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'carly-eu',
    }).tracing;
    expect(specific).toEqual({ tracesUrl: 'https://ingest.example/api/traces', protocol: 'http/json', serviceName: 'carly-eu' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'TRUE' }).tracing).toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'false' }).tracing).not.toBeNull();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
    ['OTEL_TRACES_EXPORTER', 'zipkin'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('tracing on (OTLP/HTTP, JSON)', () => {
  let receiver: OtlpReceiver;
  let server: TestServer;
  let admin: Record<string, string>;
  let customer: { email: string };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await startServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'carly-under-test',
    });
    admin = await adminHeaders(server);
    customer = newCustomer();
    expect((await rest(server.url, 'POST', '/customers', customer, admin)).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('registers a tracer provider while the app runs', () => {
    expect(otel.trace.getTracer('probe').startSpan('probe').isRecording()).toBe(true);
  });

  it('a REST call: server span → procedure span → statement spans, one trace, named by route and procedure', async () => {
    const res = await rest(server.url, 'GET', customerPath(customer.email), undefined, admin);
    expect(res.status).toBe(200);
    const root = await serverSpan(receiver, res.headers.get('x-request-id')!);
    expect(root).toMatchObject({ name: 'GET /customers/:email', parentSpanId: '', status: { code: 0 } });
    expect(root.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/customers/:email',
      'http.response.status_code': 200,
      'url.path': customerPath(customer.email),
      'client.address': '127.0.0.1',
    });
    expect(root.resource['service.name']).toBe('carly-under-test');
    expect(root.scope).toBe('carly');

    const [procedure, ...others] = await childrenOf(receiver, root, 1);
    expect(others).toEqual([]);
    expect(procedure).toMatchObject({ name: 'customers.get', kind: INTERNAL, traceId: root.traceId, status: { code: 0 } });
    expect(procedure!.attributes).toMatchObject({
      'rpc.system.name': 'trpc',
      'rpc.method': 'customers.get',
      'carly.procedure.type': 'query',
      'rpc.status_code': 'OK',
    });

    // The read itself (SQLite's read lane, or the ORM on PostgreSQL); the bearer's session is cached.
    const statements = await childrenOf(receiver, procedure!, 1);
    expectStatementSpans(statements, procedure!, customer.email);
    expect(statements.some((s) => s.attributes['db.collection.name'] === 'customers')).toBe(true);
  });

  it('a write: its transaction and statements are spans of the procedure', async () => {
    const res = await rest(server.url, 'PATCH', customerPath(customer.email), { company: 'Traced Ltd' }, admin);
    expect(res.status).toBe(200);
    const root = await serverSpan(receiver, res.headers.get('x-request-id')!);
    expect(root.name).toBe('PATCH /customers/:email');
    const [procedure] = await childrenOf(receiver, root, 1);
    expect(procedure!.name).toBe('customers.update');
    const statements = await childrenOf(receiver, procedure!, 4);
    expectStatementSpans(statements, procedure!, 'Traced Ltd');
    const operations = statements.map((s) => s.attributes['db.operation.name']);
    expect(operations).toContain('BEGIN');
    expect(operations).toContain('UPDATE');
    expect(operations).toContain('COMMIT');
  });

  it('a tRPC batch: one server span, one procedure span per call, each with its own statements', async () => {
    const requestId = `batch-${hex(6)}`;
    const client = createCarlyClient({ url: server.url, headers: { ...admin, 'x-request-id': requestId }, retry: false });
    const [me, got] = await Promise.all([client.auth.me(), client.customers.get({ email: customer.email })]);
    expect(me.user.email).toBe(TEST_ADMIN.email);
    expect(got.email).toBe(customer.email);

    const root = await serverSpan(receiver, requestId);
    expect(root.name).toBe('GET /trpc/auth.me,customers.get');
    expect(root.attributes['http.route']).toBe('/trpc/auth.me,customers.get');
    const procedures = await childrenOf(receiver, root, 2);
    expect(procedures.map((p) => p.name).sort()).toEqual(['auth.me', 'customers.get']);
    for (const procedure of procedures) {
      expect(procedure.traceId).toBe(root.traceId);
      expectStatementSpans(await childrenOf(receiver, procedure, 1), procedure, customer.email);
    }
  });

  it('the tRPC fast lane (one GET query) gets the same spans', async () => {
    const requestId = `fast-${hex(6)}`;
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ email: customer.email })));
    const res = await fetch(`${server.url}/trpc/customers.get?input=${input}`, { headers: { ...admin, 'x-request-id': requestId } });
    expect(res.status).toBe(200);
    const root = await serverSpan(receiver, requestId);
    expect(root.name).toBe('GET /trpc/customers.get');
    const [procedure] = await childrenOf(receiver, root, 1);
    expect(procedure!.name).toBe('customers.get');
    expectStatementSpans(await childrenOf(receiver, procedure!, 1), procedure!, customer.email);
  });

  it("continues a caller's W3C traceparent: same trace id, the caller's span as parent", async () => {
    const traceId = hex(16);
    const parentId = hex(8);
    const res = await rest(server.url, 'GET', customerPath(customer.email), undefined, { ...admin, traceparent: `00-${traceId}-${parentId}-01` });
    expect(res.status).toBe(200);
    const root = await serverSpan(receiver, res.headers.get('x-request-id')!);
    expect(root.traceId).toBe(traceId);
    expect(root.parentSpanId).toBe(parentId);
    const [procedure] = await childrenOf(receiver, root, 1);
    expect(procedure!.traceId).toBe(traceId);
  });

  it("honours a caller's decision not to sample: no span of that trace is recorded", async () => {
    const unsampled = hex(16);
    const res = await rest(server.url, 'GET', customerPath(customer.email), undefined, { ...admin, traceparent: `00-${unsampled}-${hex(8)}-00` });
    expect(res.status).toBe(200);
    // A sampled request sent after it: once its spans are in, the unsampled one's would be too.
    const after = await rest(server.url, 'GET', customerPath(customer.email), undefined, admin);
    const root = await serverSpan(receiver, after.headers.get('x-request-id')!);
    await childrenOf(receiver, root, 1);
    expect(receiver.spans.filter((s) => s.traceId === unsampled)).toEqual([]);
    expect(receiver.spans.filter((s) => s.attributes['carly.request_id'] === res.headers.get('x-request-id'))).toEqual([]);
  });

  it('the SDK sends the active span as traceparent when given the OpenTelemetry API', async () => {
    const requestId = `sdk-${hex(6)}`;
    const client = createCarlyClient({ url: server.url, headers: { ...admin, 'x-request-id': requestId }, retry: false, opentelemetry: otel });
    const caller = otel.trace.getTracer('sdk-test');
    const parent = await caller.startActiveSpan('the app calls Carly', async (span) => {
      await client.customers.get({ email: customer.email });
      span.end();
      return span.spanContext();
    });
    const root = await serverSpan(receiver, requestId);
    expect(root.traceId).toBe(parent.traceId);
    expect(root.parentSpanId).toBe(parent.spanId);
  });

  it('without the option, or with no active span, the SDK starts no trace of its own', async () => {
    const plainId = `plain-${hex(6)}`;
    const plain = createCarlyClient({ url: server.url, headers: { ...admin, 'x-request-id': plainId }, retry: false });
    const parentless = `idle-${hex(6)}`;
    const idle = createCarlyClient({ url: server.url, headers: { ...admin, 'x-request-id': parentless }, retry: false, opentelemetry: otel });
    await otel.trace.getTracer('sdk-test').startActiveSpan('active, but not passed', async (span) => {
      await plain.customers.get({ email: customer.email });
      span.end();
    });
    await idle.customers.get({ email: customer.email });
    expect((await serverSpan(receiver, plainId)).parentSpanId).toBe('');
    expect((await serverSpan(receiver, parentless)).parentSpanId).toBe('');
  });

  it('a 4xx is recorded as attributes, not as an error', async () => {
    const res = await rest(server.url, 'GET', customerPath(`nobody-${hex(4)}@example.com`), undefined, admin);
    expect(res.status).toBe(404);
    const root = await serverSpan(receiver, res.headers.get('x-request-id')!);
    expect(root.status.code).toBe(0);
    expect(root.attributes).toMatchObject({ 'http.response.status_code': 404, 'carly.error.code': 'NOT_FOUND' });
    expect(root.attributes['error.type']).toBeUndefined();
    const [procedure] = await childrenOf(receiver, root, 1);
    expect(procedure!.status.code).toBe(0);
    expect(procedure!.attributes).toMatchObject({ 'rpc.status_code': 'NOT_FOUND', 'carly.error.status': 404 });
    expect(procedure!.events).toEqual([]);
  });

  it('a 500 records the error: status ERROR on the request and procedure spans, the exception as an event', async () => {
    // Break the table under the ORM's list query; the statement fails, the answer is a 500.
    await sqlQuery(server.app.config.database, 'alter table customers rename to customers_gone');
    try {
      // A search term stands for any value a statement carries: it must reach no span.
      const term = `zq${hex(4)}`;
      const res = await rest(server.url, 'GET', `/customers?limit=5&q=${term}`, undefined, admin);
      expect(res.status).toBe(500);
      const root = await serverSpan(receiver, res.headers.get('x-request-id')!);
      expect(root.status.code).toBe(ERROR);
      expect(root.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
      expect(root.events.map((e) => e.name)).toEqual(['exception']);

      const [procedure] = await childrenOf(receiver, root, 1);
      expect(procedure!.name).toBe('customers.list');
      expect(procedure!.status.code).toBe(ERROR);
      expect(procedure!.attributes['rpc.status_code']).toBe('INTERNAL_SERVER_ERROR');
      const exception = procedure!.events.find((e) => e.name === 'exception')!;
      // The driver's error (list pages read plain rows through MikroORM's query builder, which does
      // not convert it into its own exception classes).
      expect(exception.attributes['exception.type']).toMatch(/^(SqliteError|DatabaseError|error)$/);
      // The database's words, without the failed statement (knex writes its values into the message).
      expect(exception.attributes['exception.message']).toMatch(/^(no such table: customers|relation "customers" does not exist)$/);
      expect(exception.attributes['exception.stacktrace']).toMatch(/^(SqliteError|DatabaseError|error): (no such table|relation)/);

      const failed = (await childrenOf(receiver, procedure!, 1)).filter((s) => s.status.code === ERROR);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0]!.kind).toBe(CLIENT);
      expect(failed[0]!.events.map((e) => e.name)).toEqual(['exception']);
      expect(failed[0]!.attributes['db.query.text']).toMatch(/from .customers./);
      const trace = receiver.spans.filter((s) => s.traceId === root.traceId);
      expect(JSON.stringify(trace)).not.toContain(term);
    } finally {
      await sqlQuery(server.app.config.database, 'alter table customers_gone rename to customers');
    }
  });
});

describe('tracing over OTLP/HTTP protobuf (the default protocol)', () => {
  it('exports protobuf with the headers from OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-vendor-key=k%3Dv 1';
    const server = await startServer({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces` });
    try {
      const res = await rest(server.url, 'GET', '/auth/me', undefined, await adminHeaders(server));
      expect(res.status).toBe(200);
      const root = await serverSpan(receiver, res.headers.get('x-request-id')!);
      expect(root.name).toBe('GET /auth/me');
      expect(root.resource['service.name']).toBe('carly');
      const [procedure] = await childrenOf(receiver, root, 1);
      expect(procedure!.name).toBe('auth.me');
      expect(receiver.requests[0]!.contentType).toBe('application/x-protobuf');
      expect(receiver.requests[0]!.headers['x-vendor-key']).toBe('k=v 1');
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      await server.close();
      await receiver.close();
    }
  });
});

describe('tracing off (no OTLP endpoint)', () => {
  it('registers no tracer provider and exports nothing', async () => {
    const receiver = await startOtlpReceiver();
    const server = await startServer({});
    try {
      expect(server.app.config.tracing).toBeNull();
      // The global API's tracer is the no-op one: nothing was registered.
      expect(otel.trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
      const admin = await adminHeaders(server);
      const res = await rest(server.url, 'GET', '/auth/me', undefined, { ...admin, traceparent: `00-${hex(16)}-${hex(8)}-01` });
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.requests).toEqual([]);
    } finally {
      await server.close();
      await receiver.close();
    }
  });
});

/** Runs test/helpers/tracing-probe.ts in its own process: its answer, and what it loaded and logged. */
async function probe(env: Record<string, string>) {
  const result = await run(nodeArgs('test/helpers/tracing-probe.ts'), {
    DATA_DIR: tempDir('carly-tracing-probe-'),
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
    ...env,
  });
  expect(result.code, result.stderr).toBe(0);
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { probe?: { status: number; sdkModules: number }; component?: string; msg?: string });
  return { probe: lines.find((l) => l.probe)!.probe!, logs: lines.filter((l) => !l.probe) };
}

describe('the cost of tracing off, and a collector that is down', () => {
  it('with no endpoint, not one OpenTelemetry SDK module is loaded', async () => {
    const { probe: off } = await probe({});
    expect(off).toEqual({ status: 200, sdkModules: 0 });
  }, 60_000);

  it('with an endpoint nobody listens on, requests are answered, the failure is logged, and the app still closes', async () => {
    const closed = await startOtlpReceiver();
    await closed.close();
    const { probe: on, logs } = await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: closed.url });
    expect(on.status).toBe(200);
    expect(on.sdkModules).toBeGreaterThan(0);
    expect(logs.filter((l) => l.component === 'opentelemetry').length).toBeGreaterThan(0);
  }, 60_000);
});

describe('a real server process (npm start path)', () => {
  it('puts the trace id in the request log lines and flushes its spans on SIGTERM', async () => {
    const receiver = await startOtlpReceiver();
    const proc = await spawnServer({
      DATA_DIR: tempDir('carly-tracing-'),
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      BCRYPT_COST: '4',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Nothing is exported before shutdown: the spans that arrive prove the flush.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    try {
      const traceId = hex(16);
      const res = await fetch(`${proc.url}/health`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id')!;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lines = proc
        .output()
        .split('\n')
        .filter((l) => l.includes(`"reqId":"${requestId}"`))
        .map((l) => JSON.parse(l) as { msg: string; trace_id?: string; span_id?: string });
      expect(lines.map((l) => l.msg)).toEqual(['request completed']);
      for (const line of lines) {
        expect(line.trace_id).toBe(traceId);
        expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
      }
      expect(receiver.requests).toEqual([]);

      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId));
      const root = spans.find((s) => s.traceId === traceId)!;
      expect(root).toMatchObject({ name: 'GET /health', spanId: lines[0]!.span_id });
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
      await receiver.close();
    }
  }, 60_000);

  it('logs no trace id when tracing is off', async () => {
    const proc = await spawnServer({
      DATA_DIR: tempDir('carly-tracing-off-'),
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      BCRYPT_COST: '4',
    });
    try {
      const res = await fetch(`${proc.url}/health`, { headers: { traceparent: `00-${hex(16)}-${hex(8)}-01` } });
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id')!;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lines = proc
        .output()
        .split('\n')
        .filter((l) => l.includes(`"reqId":"${requestId}"`));
      expect(lines).toHaveLength(1);
      for (const line of lines) expect(line).not.toContain('trace_id');
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  }, 60_000);
});
