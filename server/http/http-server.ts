import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { toContractError } from '../contract-error.js';
import type { Domain } from '../domain.js';
import type { RequestInfo } from '../identity/request-info.js';
import type { Lifecycle } from '../lifecycle.js';
import { registerMetrics } from '../ops/metrics.js';
import type { Tracing } from '../tracing/types.js';
import type { Context } from '../trpc/context.js';
import { createCallerFactory, SSE_OPTIONS } from '../trpc/init.js';
import { appRouter } from '../trpc/root.js';
import { SERVICE_VERSION } from '../version.js';
import { registerWebhookMetrics } from '../webhooks/webhook-metrics.js';
import { registerAccountPages } from './account-pages.js';
import { registerBodyGuard } from './body-guard.js';
import { registerBulkRoutes } from './bulk-routes.js';
import { isCacheable, NO_STORE } from './cache-control.js';
import { clientErrorHandler } from './client-errors.js';
import { registerConsole } from './console/index.js';
import { registerErrorHandling } from './errors-hook.js';
import { OneLineRequestLog, serializeRequest } from './log-redaction.js';
import { OpenApiDocument } from './openapi-document.js';
import { registerRestRoutes } from './rest.js';
import { computeSecurityHeaders } from './security-headers.js';
import { registerServiceRoutes } from './service-routes.js';
import { registerSwaggerUi } from './swagger-ui.js';
import { registerTrpc } from './trpc-plugin.js';
import { registerTurnBudget } from './turn-budget.js';

export interface HttpOptions {
  /** Answer single tRPC GET queries without the adapter's Fetch machinery (default on); tests compare both. */
  trpcFastLane?: boolean;
  /** Serve subscriptions through the SSE lane (trpc-sse-lane.ts; default on); tests compare it with tRPC's adapter. */
  sseLane?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Requests that start per event-loop turn (turn-budget.ts): a saturated turn stays ~2 ms long. */
const REQUESTS_PER_TURN = 8;

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

/**
 * The Fastify instance with its logger, security headers and body guard, before the domain is
 * built: the domain logs through this logger (one format, one redaction list, trace ids).
 */
export function createHttpServer(config: Config, tracing: Tracing | undefined): FastifyInstance {
  const http = Fastify({
    // Request logs carry URLs with every query value that could be a token or personal data redacted.
    logger: { level: config.logLevel, redact: { paths: LOG_REDACT, censor: '[redacted]' }, serializers: { req: serializeRequest } },
    // One line per request (`request completed`, with method, redacted URL and client address).
    logController: new OneLineRequestLog(),
    bodyLimit: config.bodyLimit,
    // Behind a load balancer, per-address login throttling needs the client's address from it.
    trustProxy: config.trustProxy,
    // genReqId reads x-request-id itself, so a hostile value is replaced rather than echoed.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Slow or idle clients must not hold sockets forever (HTTP_*_TIMEOUT_MS).
    connectionTimeout: config.httpTimeouts.connectionMs,
    keepAliveTimeout: config.httpTimeouts.keepAliveMs,
    requestTimeout: config.httpTimeouts.requestMs,
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
  // First of the hooks: a request that waits for a later turn has cost nothing yet.
  registerTurnBudget(http, REQUESTS_PER_TURN);
  tracing?.instrumentHttp(http, new Set(Object.keys(appRouter._def.procedures)));
  const securityHeaders = computeSecurityHeaders();
  http.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    // Answers may carry tokens, secrets or personal data: never stored by a cache unless known not to.
    if (!isCacheable(request.url)) reply.headers(NO_STORE);
    done();
  });
  registerBodyGuard(http, config.bodyLimit, config.httpTimeouts.requestMs);
  return http;
}

/**
 * The wires on the domain: metrics, CORS, error handling, service routes, account pages, Swagger
 * UI, tRPC and REST; closing the server ends open streams, then stops the lifecycle's steps.
 */
export async function registerHttp(
  http: FastifyInstance,
  domain: Domain,
  contextFor: (info: RequestInfo) => Context,
  { tracing, lifecycle, options }: { tracing: Tracing | undefined; lifecycle: Lifecycle; options: HttpOptions },
): Promise<void> {
  const { config, clock, webhooks } = domain;
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

  /** The console's session routes run auth procedures in-process, as the browser that asked. */
  const consoleCaller = (request: FastifyRequest, authorization: string | null) =>
    createCallerFactory(appRouter)(
      contextFor({ requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent'] ?? null, authorization, idempotencyKey: null, calls: 1 }),
    );

  const openapi = new OpenApiDocument(SERVICE_VERSION);
  // First, so that it sees every route registered after it (its label values are fixed at start).
  const metrics = registerMetrics(http, new Set(Object.keys(appRouter._def.procedures)), [...domain.eventMetrics.all, ...domain.searchMetrics.all]);
  if (config.corsOrigins.length) {
    await http.register(cors, { origin: config.corsOrigins, exposedHeaders: ['x-request-id', 'retry-after'] });
  }
  registerErrorHandling(http, config.bodyLimit);
  registerWebhookMetrics(metrics, webhooks.metrics, { queue: () => webhooks.queue(), now: () => clock.now() });
  registerServiceRoutes(http, domain.orm, config.database.kind, SERVICE_VERSION, openapi);
  registerAccountPages(http);
  registerConsole(http, { callerFor: consoleCaller, publicUrl: config.publicUrl, sessionTtlDays: config.auth.sessionTtlDays });
  registerSwaggerUi(http, openapi, SERVICE_VERSION);
  await registerTrpc(http, appRouter, createContext, options.trpcFastLane ?? true, config.bodyLimit, (options.sseLane ?? true) ? SSE_OPTIONS : undefined);
  // Before the procedures' routes: /customers/export and /customers/import must not be taken for /customers/{email}.
  await registerBulkRoutes(http, {
    orm: domain.orm,
    database: config.database,
    authenticate: (authorization) => domain.authenticator.authenticate(authorization),
    idempotency: domain.idempotency,
    writes: domain.writes,
    onEventsCommitted: domain.onEventsCommitted,
    importMaxBytes: config.importMaxBytes,
  });
  registerRestRoutes(http, appRouter, createContext);

  // Open streams never finish by themselves: end them first, so close() (and SIGTERM) can finish
  // the other requests in flight; their clients reconnect, to another instance, from their last event.
  http.addHook('preClose', (done) => {
    domain.eventFeed.close();
    done();
  });
  http.addHook('onClose', () => lifecycle.stop());
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
