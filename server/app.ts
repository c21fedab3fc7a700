import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import type { MikroORM } from '@mikro-orm/core';
import { ConfigError, type Config } from './config.js';
import { DomainError } from './errors.js';
import { forkEntityManager, openDatabase, withStartupLock } from './db/orm.js';
import { openHotReads } from './db/hot-reads.js';
import type { EntityManager } from '@mikro-orm/knex';
import type { EventType } from '../client-sdk/src/schemas/events.js';
import { AuthService, type AuthDeps } from './auth/auth.service.js';
import { ensureAdmin, logAdminOutcome } from './auth/admin-bootstrap.js';
import { Mailer } from './auth/mailer.js';
import { PasswordHasher } from './auth/passwords.js';
import { LiveSessionCache } from './auth/session-cache.js';
import { KeyedMutex } from './auth/keyed-mutex.js';
import { BackgroundWork } from './auth/background.js';
import { LoginAttempts } from './auth/login-attempts.js';
import { AccessTokens } from './auth/tokens.js';
import { systemClock, type Clock } from './clock.js';
import { CursorCodec } from './customers/cursor.js';
import { CustomersService } from './customers/customers.service.js';
import { registerAccountPages } from './http/account-pages.js';
import { registerBodyGuard } from './http/body-guard.js';
import { isCacheable, NO_STORE } from './http/cache-control.js';
import { registerErrorHandling } from './http/errors-hook.js';
import { toContractError } from './contract-error.js';
import { clientErrorHandler } from './http/client-errors.js';
import { serializeRequest } from './http/log-redaction.js';
import { registerRestRoutes } from './http/rest.js';
import { registerBulkRoutes } from './http/bulk-routes.js';
import { computeSecurityHeaders } from './http/security-headers.js';
import { registerServiceRoutes } from './http/service-routes.js';
import { registerSwaggerUi } from './http/swagger-ui.js';
import { registerTrpc } from './http/trpc-plugin.js';
import { buildOpenApiDocument } from './openapi.js';
import { registerMetrics } from './ops/metrics.js';
import { scheduleHousekeeping } from './ops/housekeeping.js';
import { deriveKey, loadServerSecret } from './secrets.js';
import type { Context, RequestInfo } from './trpc/context.js';
import { ApiKeyAuthenticator } from './api-keys/api-key-authenticator.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { WriteTransactions } from './db/write-transaction.js';
import { ChangeSignal } from './events/change-signal.js';
import { AuditChainer } from './audit/audit-chainer.js';
import { AuditService } from './audit/audit.service.js';
import { PrivacyService } from './privacy/privacy.service.js';
import { scrubSqliteFiles } from './privacy/sqlite-scrub.js';
import { IdempotencyStore } from './idempotency/idempotency-store.js';
import { Authenticator } from './identity/authenticator.js';
import { appRouter } from './trpc/root.js';
import { createCallerFactory } from './trpc/init.js';
import { EventFeed } from './events/event-feed.js';
import { EventLog } from './events/event-log.js';
import { EventMetrics } from './events/event-metrics.js';
import { EventsService } from './events/events.service.js';
import { listenForEvents, type EventsListener } from './events/pg-listener.js';
import { SSE_OPTIONS } from './trpc/init.js';
import { SERVICE_VERSION } from './version.js';
import { seedSampleData } from './seed.js';
import { inBackground } from './db/background-work.js';
import { SecretBox } from './webhooks/secret-box.js';
import { WebhooksService } from './webhooks/webhooks.service.js';
import { registerWebhookMetrics } from './webhooks/webhook-metrics.js';
import { WebhookWorker } from './webhooks/webhook-worker.js';
import type { Tracing } from './tracing/types.js';

export interface App {
  http: FastifyInstance;
  orm: MikroORM;
  config: Config;
  /** Database statements run since start, through the ORM and the SQLite read lane (a diagnostic for tests). */
  queryCount: () => number;
  /**
   * Calls procedures in-process, without HTTP (tRPC's createCaller): the same validation, access
   * rules, idempotency and services as both wires, for fast procedure and service tests. Pass
   * `authorization: 'Bearer …'` to call as someone.
   */
  createCaller: (request?: Partial<RequestInfo>) => AppCaller;
}

/** The router's procedures as plain async functions: `await caller.customers.get({ email })`. */
export type AppCaller = ReturnType<typeof appRouter.createCaller>;

export interface AppOptions {
  /** Where "now" comes from (token expiry, sessions, throttles); tests move it forward. */
  clock?: Clock;
  /** Answer single tRPC GET queries without the adapter's Fetch machinery (default on); tests compare both. */
  trpcFastLane?: boolean;
  /** Serve subscriptions through the SSE lane (http/trpc-sse-lane.ts; default on); tests compare it with tRPC's adapter. */
  sseLane?: boolean;
  /** Benchmarks only: false writes no change events, to measure what the event log costs. */
  recordEvents?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;
/** A request must have arrived whole within this (except an import's streamed body: http/body-guard.ts). */
const REQUEST_TIMEOUT_MS = 30_000;

/** Never logged, wherever they appear in a logged object. */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
  '*.passwordHash',
];

/** Builds the whole service on an open database; never listens (main.ts and tests do). */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  // The tracer provider comes first, so everything built after it can be traced. With tracing off
  // the SDK is never even loaded (a dynamic import), and no hook below is registered.
  const tracing: Tracing | undefined = config.tracing
    ? (await import('./tracing/tracing.js')).startTracing(config.tracing, SERVICE_VERSION)
    : undefined;
  const orm = await openDatabase(config.database);
  const secret = loadServerSecret(config.dataDir, config.auth.jwtSecret);
  const cursors = new CursorCodec(deriveKey(secret, 'customers.cursor'));
  const hasher = new PasswordHasher(config.auth.bcryptCost, config.auth.hashConcurrency, config.auth.hashQueueLimit);
  const sessionCache = new LiveSessionCache();
  const reads = openHotReads(config.database);
  let ormQueries = 0;
  const onQuery = orm.config.get('onQuery');
  orm.config.set('onQuery', (sql: string, params: unknown[]) => {
    if (!inBackground()) ormQueries++;
    return onQuery(sql, params);
  });
  tracing?.instrumentOrm(orm, config.database);
  tracing?.instrumentHotReads(reads, config.database);

  const http = Fastify({
    // Request logs carry URLs with every query value that could be a token or personal data redacted.
    logger: { level: config.logLevel, redact: { paths: LOG_REDACT, censor: '[redacted]' }, serializers: { req: serializeRequest } },
    bodyLimit: config.bodyLimit,
    // Behind a load balancer, per-address login throttling needs the client's address from it.
    trustProxy: config.trustProxy,
    // genReqId reads x-request-id itself, so a hostile value is replaced rather than echoed.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Slow or idle clients must not hold sockets forever.
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Long enough that an over-long email reaches the schema (and gets its 400 with issues).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    clientErrorHandler,
    // Errors Fastify raises before routing (a malformed percent-encoding in the path): our error
    // JSON and request id, like every other answer.
    frameworkErrors: (error, request, reply) => {
      const mapped = toContractError(error);
      void (reply as unknown as FastifyReply).header('x-request-id', request.id).code(mapped.status).send(mapped.body);
    },
    // Tracing on: each request's span starts here, and its logger carries trace_id and span_id.
    ...(tracing ? { childLoggerFactory: tracing.childLoggerFactory } : {}),
  });
  tracing?.instrumentHttp(http, new Set(Object.keys(appRouter._def.procedures)));
  const securityHeaders = computeSecurityHeaders();
  http.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    // Answers may carry tokens, secrets or personal data: never stored by a cache unless known not to.
    if (!isCacheable(request.url)) reply.headers(NO_STORE);
    done();
  });
  registerBodyGuard(http, config.bodyLimit, REQUEST_TIMEOUT_MS);

  const emOf = () => forkEntityManager(orm);
  const changes = new ChangeSignal();
  const apiKeyAuth = new ApiKeyAuthenticator({ clock, em: emOf, reads, log: http.log });
  const authDeps: AuthDeps = {
    clock,
    hasher,
    accountLocks: new KeyedMutex(),
    cache: sessionCache,
    accessTokens: new AccessTokens(secret, config.auth.accessTokenTtlSeconds, clock),
    sessionTtlDays: config.auth.sessionTtlDays,
    reads,
    loginAttempts: new LoginAttempts(),
    mailer: new Mailer(config.auth.mailFrom, config.auth.smtpUrl, path.join(config.dataDir, 'outbox'), http.log),
    background: new BackgroundWork(http.log),
    links: { reset: config.resetUrl, verify: config.verifyUrl },
    log: http.log,
  };
  const evictAccounts = (userIds: string[]) => userIds.forEach((id) => sessionCache.evictUser(id));
  const authenticator = new Authenticator({ ...authDeps, apiKeys: apiKeyAuth, em: emOf });
  const idempotency = new IdempotencyStore(emOf, clock);
  const auditChainer = new AuditChainer(emOf, http.log);
  const eventMetrics = new EventMetrics();
  const writeDeps = {
    clock,
    recordEvents: options.recordEvents ?? true,
    onEventsCommitted: (types: readonly EventType[]) => {
      eventMetrics.recordWritten(types);
      changes.notify();
    },
    onAuditCommitted: () => auditChainer.wake(),
  };
  const eventFeed = new EventFeed(new EventLog(emOf), changes, { pollMs: 1000, bufferSize: 2000 }, http.log);
  const privacyDeps = {
    clock,
    onAccountsRemoved: evictAccounts,
    afterErase: async () => {
      if (!(await scrubSqliteFiles(emOf()))) http.log.warn('after an erasure the SQLite WAL stayed busy; it is truncated at the next checkpoint');
    },
  };
  const webhookBox = new SecretBox(deriveKey(secret, 'webhooks.secret'));
  const webhooks = new WebhookWorker({
    em: emOf,
    clock,
    postgres: config.database.kind === 'postgresql',
    config: config.webhooks,
    box: webhookBox,
    changes,
    writeDeps,
    log: http.log,
    userAgent: `Carly-Webhooks/${SERVICE_VERSION}`,
  });

  /** The context of one request, from what the HTTP layer (or an in-process caller) knows of it. */
  const contextFor = (info: RequestInfo): Context => {
    return {
      request: info,
      responseHeaders: {},
      authenticate: () => authenticator.authenticate(info.authorization),
      idempotency,
      makeServices: (identity, answer) => {
        // Forked on first use only: most reads never touch the ORM (see db/hot-reads.ts).
        let em: EntityManager | undefined;
        const writes = new WriteTransactions(() => (em ??= emOf()), identity, writeDeps, answer);
        return {
          customers: new CustomersService(writes, cursors, evictAccounts, reads),
          auth: new AuthService(writes, authDeps, info),
          apiKeys: new ApiKeysService(writes, clock, (id) => apiKeyAuth.evict(id)),
          webhooks: new WebhooksService(writes, {
            clock,
            box: webhookBox,
            allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
            onDeleted: (id) => webhooks.forget(id),
            onQueued: () => webhooks.wake(),
          }),
          audit: new AuditService(writes),
          privacy: new PrivacyService(writes, privacyDeps),
          events: new EventsService(writes, eventFeed, clock, eventMetrics),
        };
      },
    };
  };
  /** `connectionParams`: what tRPC's SSE link sends for clients that cannot set headers (browsers' EventSource). */
  const createContext = (request: FastifyRequest, calls = 1, connectionParams?: Record<string, string | undefined> | null): Context => {
    const ctx = contextFor({
      requestId: request.id,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      authorization: request.headers.authorization ?? bearerOf(connectionParams?.token),
      idempotencyKey: headerValue(request.headers['idempotency-key']),
      calls,
    });
    if (tracing) ctx.trace = tracing.forRequest(request);
    return ctx;
  };
  const createCaller = (request: Partial<RequestInfo> = {}) =>
    createCallerFactory(appRouter)(
      contextFor({ requestId: randomUUID(), ip: '127.0.0.1', userAgent: null, authorization: null, idempotencyKey: null, calls: 1, ...request }),
    );

  const openapi = buildOpenApiDocument(SERVICE_VERSION);
  // First, so that it sees every route registered after it (its label values are fixed at start).
  const metrics = registerMetrics(http, new Set(Object.keys(appRouter._def.procedures)), eventMetrics.all);
  if (config.corsOrigins.length) {
    await http.register(cors, { origin: config.corsOrigins, exposedHeaders: ['x-request-id', 'retry-after'] });
  }
  registerErrorHandling(http, config.bodyLimit);
  registerWebhookMetrics(metrics, webhooks.metrics, { queue: () => webhooks.queue(), now: () => clock.now() });
  registerServiceRoutes(http, orm, config.database.kind, SERVICE_VERSION, openapi);
  registerAccountPages(http);
  await registerSwaggerUi(http, openapi);
  await registerTrpc(http, appRouter, createContext, options.trpcFastLane ?? true, config.bodyLimit, (options.sseLane ?? true) ? SSE_OPTIONS : undefined);
  // Before the procedures' routes: /customers/export and /customers/import must not be taken for /customers/{email}.
  await registerBulkRoutes(http, {
    orm,
    database: config.database,
    authenticate: (authorization) => authenticator.authenticate(authorization),
    idempotency,
    writes: (identity, answer?) => new WriteTransactions(emOf, identity, writeDeps, answer),
    onEventsCommitted: writeDeps.onEventsCommitted,
    importMaxBytes: config.importMaxBytes,
  });
  registerRestRoutes(http, appRouter, createContext);

  const stopHousekeeping = scheduleHousekeeping(orm, clock, http.log, {
    auditRetentionDays: config.audit.retentionDays,
    onAuditCommitted: () => auditChainer.wake(),
  });
  let listener: EventsListener | undefined;
  // Open streams never finish by themselves: end them first, so close() (and SIGTERM) can finish
  // the other requests in flight; their clients reconnect, to another instance, from their last event.
  http.addHook('preClose', (done) => {
    eventFeed.close();
    done();
  });
  http.addHook('onClose', async () => {
    // Attempts on the wire get a moment to finish (a third of the shutdown budget, at most 5 s).
    await webhooks.stop(Math.min(5000, config.shutdownTimeoutMs / 3));
    stopHousekeeping();
    // Mail and reset work queued by answers already sent finishes before the database closes.
    await authDeps.background.idle();
    await auditChainer.stop();
    await listener?.stop();
    await reads.close();
    await hasher.close();
    await orm.close();
    // Last, so the spans of the final requests and statements are sent.
    await tracing?.shutdown();
  });

  // Instances starting at once on one empty database seed it and create the first admin one
  // after another (PostgreSQL advisory lock), so neither trips on the other's rows.
  await withStartupLock(orm, async () => {
    if (config.seedSampleData) await seedSampleData(orm, http.log);
    try {
      logAdminOutcome(
        http.log,
        await ensureAdmin(orm, hasher, clock, config.dataDir, { email: config.auth.adminEmail, password: config.auth.adminPassword }),
      );
    } catch (err) {
      await orm.close();
      // A refused ADMIN_PASSWORD (e.g. a common one) is a configuration error: say which variable.
      if (err instanceof DomainError) throw new ConfigError(`Invalid configuration:\n  ADMIN_PASSWORD: ${err.message}`);
      throw err;
    }
  });
  await hasher.warmUp();
  await webhooks.start();
  // Other instances' commits wake this one's readers (PostgreSQL); a wake-up only, never the data.
  if (config.database.kind === 'postgresql') listener = listenForEvents(config.database.url, () => changes.notify(), http.log);
  return { http, orm, config, queryCount: () => ormQueries + reads.queries, createCaller };
}

/** A credential from tRPC `connectionParams` (`{ token }`), as the Authorization header would carry it. */
function bearerOf(token: string | undefined): string | null {
  return token ? `Bearer ${token}` : null;
}

/** A header sent once, as a string; repeated (an array) counts as its first value. */
function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
