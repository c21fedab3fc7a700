import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import { DEFAULT_AUDIT_RETENTION_DAYS, purgeAuditEntries } from '../audit/audit-retention.js';
import type { Clock } from '../clock.js';
import { EmailVerificationTokenEntity } from '../db/email-verification-token.entity.js';
import { ResetTokenEntity } from '../db/reset-token.entity.js';
import { SessionEntity } from '../db/session.entity.js';
import { ThrottleEventEntity } from '../db/throttle-event.entity.js';
import { EventLog } from '../events/event-log.js';
import { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { purgeWebhookDeliveries } from '../webhooks/retention.js';

export interface HousekeepingOptions {
  /** AUDIT_RETENTION_DAYS: audit entries older than this go (default 365). */
  auditRetentionDays?: number;
  /** Wakes the audit chainer after the purge recorded its entry. */
  onAuditCommitted?: () => void;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Throttle windows are 15 minutes; a day of history is plenty. */
const THROTTLE_KEEP_MS = DAY;
/** Ended sessions and expired reset and verification tokens are kept a week, for support questions, then dropped. */
const ENDED_KEEP_MS = 7 * DAY;

/** Deletes rows that no rule reads any more, so these tables do not grow without end. */
export async function housekeeping(orm: MikroORM, clock: Clock, options: HousekeepingOptions = {}): Promise<Record<string, number>> {
  const em = orm.em.fork();
  const now = clock.now().getTime();
  const before = (ms: number) => new Date(now - ms);
  return {
    throttleEvents: await em.nativeDelete(ThrottleEventEntity, { at: { $lt: before(THROTTLE_KEEP_MS) } }),
    sessions: await em.nativeDelete(SessionEntity, {
      $or: [{ revokedAt: { $lt: before(ENDED_KEEP_MS) } }, { expiresAt: { $lt: before(ENDED_KEEP_MS) } }],
    }),
    resetTokens: await em.nativeDelete(ResetTokenEntity, { expiresAt: { $lt: before(ENDED_KEEP_MS) } }),
    idempotencyRecords: await IdempotencyStore.purgeExpired(em as EntityManager, clock.now()),
    events: await EventLog.purge(em as EntityManager, clock.now()),
    verificationTokens: await em.nativeDelete(EmailVerificationTokenEntity, { expiresAt: { $lt: before(ENDED_KEEP_MS) } }),
    webhookDeliveries: await purgeWebhookDeliveries(em as EntityManager, clock.now()),
    auditEntries: await purgeAuditEntries(orm, clock, options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS, options.onAuditCommitted),
  };
}

/** Runs housekeeping at start and then hourly; the timer never keeps the process alive. */
export function scheduleHousekeeping(orm: MikroORM, clock: Clock, log: FastifyBaseLogger, options: HousekeepingOptions = {}): () => void {
  const run = () =>
    housekeeping(orm, clock, options).then(
      (deleted) => log.debug({ deleted }, 'housekeeping'),
      (err: unknown) => log.warn({ err }, 'housekeeping failed'),
    );
  void run();
  const timer = setInterval(run, HOUR);
  timer.unref();
  return () => clearInterval(timer);
}
