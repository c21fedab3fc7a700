import type { EntityManager } from '@mikro-orm/knex';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import { toEvent } from '../events/event-log.js';

/** A webhook that may receive deliveries now, as the dispatcher needs it. */
export interface ActiveWebhook {
  id: string;
  url: string;
  secretEnc: string;
  previousSecretEnc: string | null;
  previousSecretExpiresAt: Date | null;
}

/** One delivery claimed for one attempt. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventRow: string | null;
  payload: string | null;
  /** The number of this attempt (1 for the first). */
  attempt: number;
  /** Set when the attempt before this one left no result (its instance died): its lease's end. */
  interruptedLeaseUntil: Date | null;
}

export type DateValue = string | number | Date;
export const dateOrNull = (v: DateValue | null | undefined): Date | null => (v === null || v === undefined ? null : new Date(v));
export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The SQL of deliveries, for both dialects; PostgreSQL additionally skips rows other instances hold. */
export class DeliveryStore {
  constructor(
    private readonly em: () => EntityManager,
    private readonly postgres: boolean,
  ) {}

  async activeWebhooks(): Promise<ActiveWebhook[]> {
    const rows = await this.em().execute<
      { id: string; url: string; secret_enc: string; previous_secret_enc: string | null; previous_secret_expires_at: DateValue | null }[]
    >("select id, url, secret_enc, previous_secret_enc, previous_secret_expires_at from webhooks where status = 'active' order by id");
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      secretEnc: r.secret_enc,
      previousSecretEnc: r.previous_secret_enc,
      previousSecretExpiresAt: dateOrNull(r.previous_secret_expires_at),
    }));
  }

  /**
   * Claims due deliveries of active webhooks for one attempt each, at most `room(webhookId)` per
   * webhook and `limit` in all; webhooks in `full` are skipped. One transaction: the due rows are
   * read oldest first (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances claiming at once
   * take different rows), then those taken get their attempt counted and their lease set. A row is
   * due again only once its lease has run out, so no attempt is ever sent twice.
   */
  claim(now: Date, leaseUntil: Date, limit: number, full: readonly string[], room: (webhookId: string) => number): Promise<ClaimedDelivery[]> {
    return this.em().transactional(async (em) => {
      const excluded = full.length ? ` and d.webhook_id not in (${placeholders(full.length)})` : '';
      const due = await em.execute<{ id: string | number; webhook_id: string }[]>(
        `select d.id, d.webhook_id from webhook_deliveries d ` +
          `where d.state = 'pending' and d.next_attempt_at <= ? and (d.lease_until is null or d.lease_until <= ?) ` +
          // An endpoint slowed down (slow-down.ts) gets nothing until its pause ends.
          `and d.webhook_id in (select w.id from webhooks w where w.status = 'active' and (w.slow_until is null or w.slow_until <= ?))${excluded} ` +
          `order by d.next_attempt_at, d.id limit ${Math.max(1, Math.floor(limit))}${this.postgres ? ' for update of d skip locked' : ''}`,
        [now, now, now, ...full],
      );
      const taken: string[] = [];
      const counts = new Map<string, number>();
      for (const row of due) {
        const n = counts.get(row.webhook_id) ?? 0;
        if (n >= room(row.webhook_id)) continue;
        counts.set(row.webhook_id, n + 1);
        taken.push(String(row.id));
      }
      if (!taken.length) return [];
      const rows = await em.execute<
        {
          id: string | number;
          webhook_id: string;
          event_id: string;
          event_row: string | number | null;
          payload: string | null;
          attempts: number;
          previous_lease_until: DateValue | null;
        }[]
      >(
        `update webhook_deliveries set attempts = attempts + 1, previous_lease_until = lease_until, lease_until = ? ` +
          `where id in (${placeholders(taken.length)}) ` +
          `returning id, webhook_id, event_id, event_row, payload, attempts, previous_lease_until`,
        [leaseUntil, ...taken],
      );
      return rows.map((r) => ({
        id: String(r.id),
        webhookId: r.webhook_id,
        eventId: r.event_id,
        eventRow: r.event_row === null ? null : String(r.event_row),
        payload: r.payload,
        attempt: Number(r.attempts),
        interruptedLeaseUntil: dateOrNull(r.previous_lease_until),
      }));
    });
  }

  /** The events these rows hold, by row id (a purged one is missing). */
  async events(rowIds: string[]): Promise<Map<string, CarlyEvent>> {
    const found = new Map<string, CarlyEvent>();
    const unique = [...new Set(rowIds)];
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const rows = await this.em().execute<Parameters<typeof toEvent>[0][]>(
        `select id, xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data ` +
          `from events where id in (${placeholders(chunk.length)})`,
        chunk,
      );
      for (const row of rows) found.set(String(row.id), toEvent(row));
    }
    return found;
  }

  /** Deliveries waiting for an active webhook: how many, and since when the oldest. */
  /** Whether any webhook is active (the fan-out has nothing to do otherwise). */
  async anyActiveWebhook(): Promise<boolean> {
    const rows = await this.em().execute<unknown[]>("select 1 from webhooks where status = 'active' limit 1");
    return rows.length > 0;
  }

  async queue(): Promise<{ depth: number; oldest: Date | null }> {
    const [row] = await this.em().execute<{ depth: string | number; oldest: DateValue | null }[]>(
      "select count(*) as depth, min(d.created_at) as oldest from webhook_deliveries d join webhooks w on w.id = d.webhook_id where d.state = 'pending' and w.status = 'active'",
    );
    return { depth: Number(row?.depth ?? 0), oldest: dateOrNull(row?.oldest) };
  }
}
