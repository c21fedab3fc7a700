import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import type { EventType } from '../client-sdk/src/schemas/events.js';
import { ApiKeyAuthenticator } from './api-keys/api-key-authenticator.js';
import { ApiKeyReads } from './api-keys/api-key-reads.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { AuditService } from './audit/audit.service.js';
import { AuditChainer } from './audit/audit-chainer.js';
import { ensureAdmin, logAdminOutcome } from './auth/admin-bootstrap.js';
import { type AuthDeps, AuthService } from './auth/auth.service.js';
import { BackgroundWork } from './auth/background.js';
import { KeyedMutex } from './auth/keyed-mutex.js';
import { LoginAttempts } from './auth/login-attempts.js';
import { Mailer } from './auth/mailer.js';
import { PasswordHasher } from './auth/passwords.js';
import { LiveSessionCache } from './auth/session-cache.js';
import { SessionReads } from './auth/session-reads.js';
import { AccessTokens } from './auth/tokens.js';
import type { Clock } from './clock.js';
import { type Config, ConfigError } from './config.js';
import { CursorCodec } from './customers/cursor.js';
import { CustomerReads } from './customers/customer-reads.js';
import { CustomersService } from './customers/customers.service.js';
import { inBackground } from './db/background-work.js';
import { openReadLane } from './db/open-read-lane.js';
import { forkEntityManager, openDatabase } from './db/orm.js';
import { withStartupLock } from './db/startup-lock.js';
import { WalCheckpointer } from './db/wal-checkpointer.js';
import { WriteLane } from './db/write-lane.js';
import { type AnswerRecorder, WriteTransactions } from './db/write-transaction.js';
import { DomainError } from './errors.js';
import { ChangeSignal } from './events/change-signal.js';
import { EventFeed } from './events/event-feed.js';
import { EventLog } from './events/event-log.js';
import { EventMetrics } from './events/event-metrics.js';
import { EventsService } from './events/events.service.js';
import { type EventsListener, listenForEvents } from './events/pg-listener.js';
import { IdempotencyStore } from './idempotency/idempotency-store.js';
import { Authenticator } from './identity/authenticator.js';
import type { RequestIdentity } from './identity/identity.js';
import type { RequestInfo } from './identity/request-info.js';
import type { Lifecycle } from './lifecycle.js';
import { scheduleHousekeeping } from './ops/housekeeping.js';
import { PrivacyService } from './privacy/privacy.service.js';
import { WalScrubber } from './privacy/sqlite-scrub.js';
import { CustomerSearch } from './search/customer-search.js';
import { countPending, SearchIndexer } from './search/search-indexer.js';
import { SearchIndexMetrics } from './search/search-metrics.js';
import { deriveKey, loadServerSecret } from './secrets.js';
import { seedSampleData } from './seed.js';
import type { Tracing } from './tracing/types.js';
import { SERVICE_VERSION } from './version.js';
import { SecretBox } from './webhooks/secret-box.js';
import { WebhookWorker } from './webhooks/webhook-worker.js';
import { WebhooksService } from './webhooks/webhooks.service.js';
import { writeHooks } from './write-hooks.js';

export interface DomainOptions {
  clock: Clock;
  /** The server's logger (made by the HTTP layer, so every line has one format). */
  log: FastifyBaseLogger;
  tracing: Tracing | undefined;
  /** Benchmarks only: false writes no change events, to measure what the event log costs. */
  recordEvents: boolean;
  /** The hot writes on the write lane (db/write-lane.ts); false: through MikroORM (the equivalence test's reference). */
  writeLane: boolean;
  /** Where the domain's parts are added, in start order (they stop in reverse). */
  lifecycle: Lifecycle;
}

/** The services one procedure call uses, bound to its entity manager and identity. */
export type DomainServices = ReturnType<Domain['servicesFor']>;

export type Domain = Awaited<ReturnType<typeof buildDomain>>;

/**
 * Builds everything that is not a wire: the database and its read lane, the services, the
 * background workers (webhooks, the audit chainer, housekeeping), and their start/stop steps.
 * Nothing here knows Fastify, tRPC or HTTP: the wires (server/http, server/trpc) are built on it
 * by app.ts. Starts nothing: `lifecycle.start()` does.
 */
export async function buildDomain(config: Config, { clock, log, tracing, recordEvents, writeLane, lifecycle }: DomainOptions) {
  const orm = await openDatabase(config.database);
  const secret = loadServerSecret(config.dataDir, config.auth.jwtSecret);
  const cursors = new CursorCodec(deriveKey(secret, 'customers.cursor'));
  const hasher = new PasswordHasher(config.auth.bcryptCost, config.auth.hashConcurrency, config.auth.hashQueueLimit);
  const sessionCache = new LiveSessionCache();
  const lane = await openReadLane(config.database);
  let ormQueries = 0;
  const onQuery = orm.config.get('onQuery');
  orm.config.set('onQuery', (sql: string, params: unknown[]) => {
    if (!inBackground()) ormQueries++;
    return onQuery(sql, params);
  });
  tracing?.instrumentOrm(orm, config.database);
  tracing?.instrumentReadLane(lane, config.database);
  // Each feature prepares its statements on the lane (after tracing wrapped it).
  const customerReads = new CustomerReads(lane);
  const sessionReads = new SessionReads(lane);

  const emOf = () => forkEntityManager(orm);
  const changes = new ChangeSignal();
  const apiKeyAuth = new ApiKeyAuthenticator({ clock, em: emOf, reads: new ApiKeyReads(lane), log });
  const authDeps: AuthDeps = {
    clock,
    hasher,
    accountLocks: new KeyedMutex(),
    cache: sessionCache,
    accessTokens: new AccessTokens(secret, config.auth.accessTokenTtlSeconds, clock),
    sessionTtlDays: config.auth.sessionTtlDays,
    reads: sessionReads,
    loginAttempts: new LoginAttempts(),
    mailer: new Mailer(config.auth.mailFrom, config.auth.smtpUrl, path.join(config.dataDir, 'outbox'), log),
    background: new BackgroundWork(log),
    links: { reset: config.resetUrl, verify: config.verifyUrl },
    log,
  };
  const evictAccounts = (userIds: string[]) => userIds.forEach((id) => sessionCache.evictUser(id));
  const authenticator = new Authenticator({ ...authDeps, apiKeys: apiKeyAuth, em: emOf });
  const writeLanes = writeLane ? new WriteLane() : undefined;
  if (writeLanes) tracing?.instrumentWriteLane(writeLanes, config.database);
  const idempotency = new IdempotencyStore(emOf, clock, writeLanes ?? null);
  // The background jobs' statements always run prepared on a lane (their own when the hot writes go through the ORM).
  const backgroundLane = writeLanes ?? new WriteLane();
  const auditChainer = new AuditChainer(emOf, backgroundLane, log);
  const searchMetrics = new SearchIndexMetrics(() => countPending(emOf()));
  const searchIndexer = new SearchIndexer(emOf, backgroundLane, log, config.search.indexDelayMs, searchMetrics);
  const eventMetrics = new EventMetrics();
  /** After a commit that wrote events (a write transaction's, or an import batch's own). */
  const onEventsCommitted = (types: readonly EventType[]) => {
    eventMetrics.recordWritten(types);
    changes.notify();
    // New customers wait for the indexer (after SQLite's watermark, in PostgreSQL's queue; an import batch indexes its own).
    if (types.includes('customer.created')) searchIndexer.wake();
  };
  const writeDeps = {
    clock,
    hooks: writeHooks({ recordEvents, onEventsCommitted, onAuditCommitted: () => auditChainer.wake() }),
    ...(writeLanes ? { lane: writeLanes } : {}),
  };
  const eventFeed = new EventFeed(new EventLog(emOf), changes, { pollMs: 1000, bufferSize: 2000 }, log);
  const walScrubber = new WalScrubber(config.database.kind === 'sqlite' ? config.database.file : null, log);
  const checkpointer =
    config.database.kind === 'sqlite'
      ? new WalCheckpointer(config.database.file, {}, (message) => log.error({ err: message }, 'the SQLite WAL checkpoint failed'))
      : null;
  const privacyDeps = {
    clock,
    onAccountsRemoved: evictAccounts,
    afterErase: () => walScrubber.afterErase(),
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
    log,
    userAgent: `Carly-Webhooks/${SERVICE_VERSION}`,
  });

  /** A procedure call's services, acting as `identity`, storing `answer` (its Idempotency-Key's) with its change. */
  const servicesFor = (info: RequestInfo, identity: RequestIdentity, answer?: AnswerRecorder) => {
    // Forked on first use only: most reads never touch the ORM (see db/read-lane.ts).
    let em: EntityManager | undefined;
    const writes = new WriteTransactions(() => (em ??= emOf()), identity, writeDeps, answer);
    return {
      customers: new CustomersService(writes, cursors, evictAccounts, customerReads),
      search: new CustomerSearch(() => writes.entityManager, cursors, { walkRows: config.search.walkRows }),
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
  };

  let stopHousekeeping: (() => void) | undefined;
  let listener: EventsListener | undefined;
  lifecycle
    .add({ name: 'database', stop: () => orm.close() })
    .add({ name: 'password hasher', stop: () => hasher.close() })
    .add({ name: 'read lane', stop: () => lane.close() })
    .add({ name: 'audit chainer', stop: () => auditChainer.stop() })
    .add({ name: 'search indexer', start: () => searchIndexer.wake(), stop: () => searchIndexer.stop() })
    .add({ name: 'WAL checkpointer', start: () => checkpointer?.start(), stop: () => checkpointer?.stop() })
    .add({ name: 'erasure WAL scrubber', stop: () => walScrubber.stop() })
    // Mail and reset work queued by answers already sent finishes before the database closes.
    .add({ name: 'background work', stop: () => authDeps.background.idle() })
    .add({
      name: 'housekeeping',
      start: () => {
        stopHousekeeping = scheduleHousekeeping(orm, clock, log, {
          auditRetentionDays: config.audit.retentionDays,
          onAuditCommitted: () => auditChainer.wake(),
        });
      },
      stop: () => stopHousekeeping?.(),
    })
    .add({ name: 'sample data and first admin', start: () => seedAndBootstrap(orm, hasher, clock, config, log) })
    .add({ name: 'password hasher warm-up', start: () => hasher.warmUp() })
    .add({
      name: 'webhook worker',
      start: () => webhooks.start(),
      // Attempts on the wire get a moment to finish (a third of the shutdown budget, at most 5 s).
      stop: () => webhooks.stop(Math.min(5000, config.shutdownTimeoutMs / 3)),
    })
    .add({
      name: 'events listener',
      // Other instances' commits wake this one's readers (PostgreSQL); a wake-up only, never the data.
      start: () => {
        if (config.database.kind === 'postgresql') listener = listenForEvents(config.database.url, () => changes.notify(), log);
      },
      stop: () => listener?.stop(),
    });

  return {
    config,
    clock,
    orm,
    /** Writes the new customers waiting for the search indexer into the search indexes now (tests; results never depend on it). */
    indexSearchNow: () => searchIndexer.drain(),
    /** Database statements run since start, through the ORM and the read and write lanes (a diagnostic for tests). */
    queryCount: () => ormQueries + lane.queries + (writeLanes?.queries ?? 0),
    onEventsCommitted,
    /** A write transaction acting as `identity` outside a procedure (the bulk routes). */
    writes: (identity: RequestIdentity, answer?: AnswerRecorder) => new WriteTransactions(emOf, identity, writeDeps, answer),
    /** bcrypt compares run since start, real or dummy (a diagnostic for tests). */
    passwordCompares: () => hasher.compares,
    authenticator,
    idempotency,
    eventFeed,
    eventMetrics,
    searchMetrics,
    webhooks,
    servicesFor,
  };
}

/**
 * Instances starting at once on one empty database seed it and create the first admin one
 * after another (PostgreSQL advisory lock), so neither trips on the other's rows.
 */
async function seedAndBootstrap(orm: MikroORM, hasher: PasswordHasher, clock: Clock, config: Config, log: FastifyBaseLogger): Promise<void> {
  await withStartupLock(orm, async () => {
    if (config.seedSampleData) await seedSampleData(orm, log);
    try {
      logAdminOutcome(log, await ensureAdmin(orm, hasher, clock, config.dataDir, { email: config.auth.adminEmail, password: config.auth.adminPassword }));
    } catch (err) {
      // A refused ADMIN_PASSWORD (e.g. a common one) is a configuration error: say which variable.
      if (err instanceof DomainError) throw new ConfigError(`Invalid configuration:\n  ADMIN_PASSWORD: ${err.message}`);
      throw err;
    }
  });
}
