import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import type { MikroORM } from '@mikro-orm/core';
import { ConfigError, type Config } from './config.js';
import { DomainError } from './errors.js';
import { forkEntityManager, openDatabase, withStartupLock } from './db/orm.js';
import { SqliteReads } from './db/sqlite-reads.js';
import type { EntityManager } from '@mikro-orm/knex';
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
import { serializeRequest } from './http/log-redaction.js';
import { toHttpError } from './http/error-body.js';
import { registerRestRoutes } from './http/rest.js';
import { computeSecurityHeaders } from './http/security-headers.js';
import { registerServiceRoutes } from './http/service-routes.js';
import { registerSwaggerUi } from './http/swagger-ui.js';
import { registerTrpc } from './http/trpc-plugin.js';
import { buildOpenApiDocument } from './openapi.js';
import { registerMetrics } from './ops/metrics.js';
import { scheduleHousekeeping } from './ops/housekeeping.js';
import { deriveKey, loadServerSecret } from './secrets.js';
import type { Context } from './trpc/context.js';
import { appRouter } from './trpc/root.js';
import { SERVICE_VERSION } from './version.js';
import { seedSampleData } from './seed.js';

export interface App {
  http: FastifyInstance;
  orm: MikroORM;
  config: Config;
}

export interface AppOptions {
  /** Where "now" comes from (token expiry, sessions, throttles); tests move it forward. */
  clock?: Clock;
  /** Answer single tRPC GET queries without the adapter's Fetch machinery (default on); tests compare both. */
  trpcFastLane?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

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
  const orm = await openDatabase(config.database);
  const secret = loadServerSecret(config.dataDir, config.auth.jwtSecret);
  const cursors = new CursorCodec(deriveKey(secret, 'customers.cursor'));
  const hasher = new PasswordHasher(config.auth.bcryptCost, config.auth.hashConcurrency, config.auth.hashQueueLimit);
  const sessionCache = new LiveSessionCache();
  const reads = config.database.kind === 'sqlite' ? new SqliteReads(config.database.file) : undefined;

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
    requestTimeout: 30_000,
    // Long enough that an over-long email reaches the schema (and gets its 400 with issues).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    // Errors Fastify raises before routing (a malformed percent-encoding in the path): our error
    // JSON and request id, like every other answer.
    frameworkErrors: (error, request, reply) => {
      const mapped = toHttpError(error);
      void (reply as unknown as FastifyReply).header('x-request-id', request.id).code(mapped.status).send(mapped.body);
    },
  });
  const securityHeaders = computeSecurityHeaders();
  http.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    // Answers may carry tokens, secrets or personal data: never stored by a cache unless known not to.
    if (!isCacheable(request.url)) reply.headers(NO_STORE);
    done();
  });
  registerBodyGuard(http, config.bodyLimit);

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

  const createContext = (request: FastifyRequest): Context => {
    const info = {
      requestId: request.id,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      authorization: request.headers.authorization ?? null,
    };
    return {
      request: info,
      makeServices: () => {
        // Forked on first use only: most reads never touch the ORM (see db/sqlite-reads.ts).
        let em: EntityManager | undefined;
        const emOf = () => (em ??= forkEntityManager(orm));
        return {
          customers: new CustomersService(emOf, cursors, evictAccounts, reads),
          auth: new AuthService(emOf, authDeps, info),
        };
      },
    };
  };

  const openapi = buildOpenApiDocument(SERVICE_VERSION);
  // First, so that it sees every route registered after it (its label values are fixed at start).
  registerMetrics(http, new Set(Object.keys(appRouter._def.procedures)));
  if (config.corsOrigins.length) {
    await http.register(cors, { origin: config.corsOrigins, exposedHeaders: ['x-request-id', 'retry-after'] });
  }
  registerErrorHandling(http, config.bodyLimit);
  registerServiceRoutes(http, orm, config.database.kind, SERVICE_VERSION, openapi);
  registerAccountPages(http);
  await registerSwaggerUi(http, openapi);
  await registerTrpc(http, appRouter, createContext, options.trpcFastLane ?? true, config.bodyLimit);
  registerRestRoutes(http, appRouter, createContext);

  const stopHousekeeping = scheduleHousekeeping(orm, clock, http.log);
  http.addHook('onClose', async () => {
    stopHousekeeping();
    // Mail and reset work queued by answers already sent finishes before the database closes.
    await authDeps.background.idle();
    reads?.close();
    await orm.close();
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
  return { http, orm, config };
}
