import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import type { WebhookAttemptStatus } from '../../client-sdk/src/schemas/webhooks.js';
import type { Clock } from '../clock.js';
import type { DeliveryState } from '../db/webhook-delivery.entity.js';
import type { ChangeLog, WriteTransactions } from '../db/write-transaction.js';
import { type DateValue, dateOrNull, placeholders } from './delivery-store.js';
import type { PostOutcome } from './http-sender.js';
import { nextAttemptDelayMs } from './retry-schedule.js';
import { type LoadSignal, loadSignal, slowDown } from './slow-down.js';

/** A webhook whose attempts have all failed this long is disabled (as Svix does). */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000;

/** The result of one attempt, to record. */
export type AttemptResult = {
  webhookId: string;
  deliveryId: string;
  eventId: string;
  attempt: number;
  startedAt: Date;
} & (
  | { kind: 'posted'; outcome: PostOutcome }
  /** The event aged out of the log before it could be sent. */
  | { kind: 'eventMissing' }
  /** Attempt `attempt` left no result (its instance died); only its row is written. */
  | { kind: 'interrupted' }
);

/** What an attempt's delivery turns into: the metrics' outcome label. */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'interrupted';

interface Decision {
  status: WebhookAttemptStatus;
  responseStatus: number | null;
  /** The kept answer headers as JSON, and the first 4 KiB of the answer; null when no answer came. */
  responseHeaders: string | null;
  responseBody: string | null;
  durationMs: number | null;
  error: string | null;
  state: DeliveryState;
  nextAttemptAt: Date | null;
  /** How this attempt bears on the webhook's health: null when it says nothing about the receiver. */
  health: 'success' | 'failure' | 'gone' | null;
  /** What the attempt says about the receiver's load (slow-down.ts); null: nothing. */
  load: LoadSignal | null;
  outcome: DeliveryOutcome;
}

const describeStatus = (status: number): string =>
  status >= 300 && status < 400
    ? `HTTP ${status} (redirects are not followed)`
    : status === 410
      ? 'HTTP 410: the receiver is gone; webhook disabled'
      : `HTTP ${status}`;

/** What an attempt's outcome means for its delivery and its webhook. */
export function decide(result: AttemptResult, now: Date, retryDelaysSeconds: readonly number[]): Decision {
  const decision = decideState(result, now, retryDelaysSeconds);
  // A failed attempt that will be tried again is `retrying`; `failed` means given up.
  return decision.status === 'failed' && decision.state === 'pending' ? { ...decision, status: 'retrying' } : decision;
}

function decideState(result: AttemptResult, now: Date, retryDelaysSeconds: readonly number[]): Decision {
  const retry = (retryAfter: number | null) => {
    const delay = nextAttemptDelayMs(result.attempt, retryDelaysSeconds, retryAfter);
    return delay === null
      ? { state: 'failed' as const, nextAttemptAt: null, outcome: 'failed' as const }
      : { state: 'pending' as const, nextAttemptAt: new Date(now.getTime() + delay), outcome: 'retrying' as const };
  };
  const noAnswer = { responseStatus: null, responseHeaders: null, responseBody: null, load: null };
  if (result.kind === 'eventMissing') {
    return {
      status: 'failed',
      ...noAnswer,
      durationMs: null,
      error: 'the event is no longer in the event log (kept 30 days)',
      state: 'failed',
      nextAttemptAt: null,
      health: null,
      outcome: 'failed',
    };
  }
  if (result.kind === 'interrupted') {
    return {
      status: 'failed',
      ...noAnswer,
      durationMs: null,
      error: 'interrupted: the instance sending it stopped before it recorded a result',
      state: 'pending',
      nextAttemptAt: null,
      health: null,
      outcome: 'interrupted',
    };
  }
  const o = result.outcome;
  if (o.kind === 'aborted') {
    // Cut off by our own shutdown: due again at once (another instance, or this one restarted, takes it).
    return {
      status: 'failed',
      ...noAnswer,
      durationMs: o.durationMs,
      error: 'interrupted: the server shut down during the attempt',
      state: 'pending',
      nextAttemptAt: now,
      health: null,
      outcome: 'interrupted',
    };
  }
  if (o.kind === 'error') {
    return { status: 'failed', ...noAnswer, load: loadSignal(o), durationMs: o.durationMs, error: o.error, ...retry(null), health: 'failure' };
  }
  const answer = { responseStatus: o.status, responseHeaders: JSON.stringify(o.headers), responseBody: o.body, load: loadSignal(o), durationMs: o.durationMs };
  if (o.status >= 200 && o.status < 300) {
    return { status: 'succeeded', ...answer, error: null, state: 'succeeded', nextAttemptAt: null, health: 'success', outcome: 'delivered' };
  }
  if (o.status === 410) {
    return { status: 'failed', ...answer, error: describeStatus(410), state: 'failed', nextAttemptAt: null, health: 'gone', outcome: 'failed' };
  }
  return { status: 'failed', ...answer, error: describeStatus(o.status), ...retry(o.retryAfterSeconds), health: 'failure' };
}

export interface RecorderDeps {
  writes: WriteTransactions;
  clock: Clock;
  postgres: boolean;
  retryDelaysSeconds: readonly number[];
  log: FastifyBaseLogger;
  /** Told each recorded delivery outcome once its transaction committed. */
  onRecorded: (outcome: DeliveryOutcome) => void;
}

interface Queued {
  result: AttemptResult;
  done: () => void;
}

/** Results per transaction: one commit for many attempts keeps SQLite's single writer ahead of 1,000/s. */
const MAX_BATCH = 200;
const RETRY_WRITE_MS = 1000;

/**
 * Writes attempt results in batches, one transaction each (through WriteTransactions, so a webhook
 * it disables gets its audit entry in the same commit): the attempt rows, each delivery's new
 * state, and the webhooks' health (failingSince; disabled after a 410 or five days of failures).
 */
export class AttemptRecorder {
  private queue: Queued[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: RecorderDeps) {}

  /** Resolves once the result is written (or dropped: its webhook was deleted, or the server stopped). */
  record(result: AttemptResult): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ result, done: resolve });
      this.running ??= this.drainLoop().finally(() => {
        this.running = null;
      });
    });
  }

  /** Waits until everything queued is written (or, once stopped, given up). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** From now on a failed write is given up instead of retried (the server is shutting down). */
  stop(): void {
    this.stopped = true;
  }

  get pending(): number {
    return this.queue.length;
  }

  private async drainLoop(): Promise<void> {
    // Let the results finishing in this same turn join the batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.write(batch.map((q) => q.result));
        outcomes.forEach((o) => this.deps.onRecorded(o));
        batch.forEach((q) => q.done());
      } catch (err) {
        this.deps.log.error({ err }, 'webhooks: recording attempt results failed');
        if (this.stopped) {
          // Shutting down: their leases run out and the next claimer records them as interrupted.
          batch.forEach((q) => q.done());
          continue;
        }
        this.queue.unshift(...batch);
        await new Promise((resolve) => setTimeout(resolve, RETRY_WRITE_MS));
      }
    }
  }

  private write(batch: AttemptResult[]): Promise<DeliveryOutcome[]> {
    return this.deps.writes.run(async (em, log) => {
      const now = this.deps.clock.now();
      const ids = [...new Set(batch.map((r) => r.webhookId))].sort();
      // Locked in id order, so two instances recording never deadlock, and a delete waits for us.
      const hooks = await em.execute<
        { id: string; status: string; failing_since: DateValue | null; slow_until: DateValue | null; slow_down_seconds: number | null }[]
      >(
        `select id, status, failing_since, slow_until, slow_down_seconds from webhooks where id in (${placeholders(ids.length)}) order by id${this.deps.postgres ? ' for update' : ''}`,
        ids,
      );
      const present = new Map(hooks.map((h) => [h.id, { status: h.status, failingSince: dateOrNull(h.failing_since) }]));
      const slowDowns = new Map(
        hooks.map((h) => [h.id, { until: dateOrNull(h.slow_until), pauseSeconds: h.slow_down_seconds === null ? null : Number(h.slow_down_seconds) }]),
      );
      const slowed = new Set<string>();
      const attempts: unknown[][] = [];
      const outcomes: DeliveryOutcome[] = [];
      const health = new Map<string, { last: 'success' | 'failure'; gone: boolean }>();
      const posted: { result: AttemptResult; d: Decision }[] = [];
      for (const result of batch) {
        // A deleted webhook's deliveries went with it: nothing to record.
        if (!present.has(result.webhookId)) continue;
        const d = decide(result, now, this.deps.retryDelaysSeconds);
        if (result.kind === 'interrupted') {
          attempts.push(this.attemptRow(result, d));
          outcomes.push(d.outcome);
        } else {
          posted.push({ result, d });
          if (d.load) {
            slowDowns.set(result.webhookId, slowDown(slowDowns.get(result.webhookId)!, d.load, now));
            slowed.add(result.webhookId);
          }
        }
      }
      // A slowed-down endpoint's retries wait for the pause to end, whatever the schedule says.
      for (const { result, d } of posted) {
        const until = slowDowns.get(result.webhookId)?.until;
        if (until && d.nextAttemptAt && d.nextAttemptAt < until) d.nextAttemptAt = until;
      }
      const updated = await this.updateDeliveries(em, posted);
      for (const { result, d } of posted) {
        // Claimed again meanwhile (this attempt outlived its lease): the newer claim's result stands.
        if (!updated.has(result.deliveryId)) continue;
        attempts.push(this.attemptRow(result, d));
        outcomes.push(d.outcome);
        if (d.health) {
          const h = health.get(result.webhookId) ?? { last: 'success', gone: false };
          health.set(result.webhookId, { last: d.health === 'success' ? 'success' : 'failure', gone: h.gone || d.health === 'gone' });
        }
      }
      if (attempts.length) {
        await em.execute(
          'insert into webhook_attempts (delivery_id, webhook_id, event_id, attempt, status, response_status, response_headers, response_body, duration_ms, error, created_at, next_attempt_at) values ' +
            attempts.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ') +
            ' on conflict (delivery_id, attempt) do nothing',
          attempts.flat(),
          'run',
        );
      }
      for (const [id, h] of health) await this.updateHealth(em, log, id, present.get(id)!, h, now);
      for (const id of slowed) {
        const { until, pauseSeconds } = slowDowns.get(id)!;
        await em.execute('update webhooks set slow_until = ?, slow_down_seconds = ? where id = ?', [until, pauseSeconds, id], 'run');
      }
      return outcomes;
    });
  }

  private attemptRow(result: AttemptResult, d: Decision): unknown[] {
    return [
      Number(result.deliveryId),
      result.webhookId,
      result.eventId,
      result.attempt,
      d.status,
      d.responseStatus,
      d.responseHeaders,
      d.responseBody,
      d.durationMs,
      d.error?.slice(0, 500) ?? null,
      result.startedAt,
      d.nextAttemptAt,
    ];
  }

  /**
   * Each delivery's new state, in one statement; only rows still at the attempt that was made
   * change (`attempts` = that attempt). Answers the ids that changed.
   */
  private async updateDeliveries(em: EntityManager, posted: { result: AttemptResult; d: Decision }[]): Promise<Set<string>> {
    if (!posted.length) return new Set();
    const pg = this.deps.postgres;
    const rows = await em.execute<{ id: string | number }[]>(
      `update webhook_deliveries set state = v.column2, ` +
        `next_attempt_at = ${pg ? 'cast(v.column3 as timestamptz)' : 'v.column3'}, lease_until = null ` +
        `from (values ${posted.map(() => '(?, ?, ?, ?)').join(', ')}) as v ` +
        `where webhook_deliveries.id = ${pg ? 'cast(v.column1 as bigint)' : 'v.column1'} ` +
        `and webhook_deliveries.attempts = ${pg ? 'cast(v.column4 as integer)' : 'v.column4'} ` +
        `returning webhook_deliveries.id`,
      posted.flatMap(({ result, d }) => [Number(result.deliveryId), d.state, d.nextAttemptAt, result.attempt]),
    );
    return new Set(rows.map((r) => String(r.id)));
  }

  /** failingSince follows the latest attempt; a 410, or five days of failures, disables the webhook. */
  private async updateHealth(
    em: EntityManager,
    log: ChangeLog,
    id: string,
    hook: { status: string; failingSince: Date | null },
    h: { last: 'success' | 'failure'; gone: boolean },
    now: Date,
  ): Promise<void> {
    if (h.last === 'success' && !h.gone) {
      if (hook.failingSince) await em.execute('update webhooks set failing_since = null where id = ?', [id], 'run');
      return;
    }
    const since = hook.failingSince ?? now;
    if (!hook.failingSince) await em.execute('update webhooks set failing_since = ? where id = ?', [now, id], 'run');
    if (hook.status !== 'active') return;
    const failedTooLong = now.getTime() - since.getTime() >= DISABLE_AFTER_FAILING_MS;
    if (!h.gone && !failedTooLong) return;
    await em.execute("update webhooks set status = 'disabled', updated_at = ? where id = ?", [now, id], 'run');
    log.audit({
      action: h.gone ? 'webhook.disabledGone' : 'webhook.disabledFailing',
      target: { type: 'webhook', id },
      changes: { status: ['active', 'disabled'] },
    });
    this.deps.log.warn({ webhook: id, reason: h.gone ? 'answered 410 Gone' : 'failing for 5 days' }, 'webhook disabled');
  }
}
