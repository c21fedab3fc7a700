import type { EntityManager } from '@mikro-orm/knex';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { EventLog, type Position } from '../events/event-log.js';
import { type ActiveWebhook, type ClaimedDelivery, type DateValue, dateOrNull } from './delivery-store.js';

/** Events read per transaction. */
const BATCH = 500;
/** Delivery rows per INSERT statement. */
const ROWS_PER_INSERT = 200;

interface Subscriber {
  id: string;
  events: string[];
  /** It receives events that occurred from then on: its creation, or its last re-enabling. */
  since: Date;
  /** Slowed down until then (slow-down.ts): its new deliveries wait. */
  slowUntil: Date | null;
  hook: ActiveWebhook;
}

/** Takes and gives back this instance's delivery slots (the dispatcher). */
export interface FanOutClaimer {
  /** A slot for one attempt of this webhook, or null when it has no room. */
  reserve(webhookId: string): AbortController | null;
  cancel(webhookId: string, slot: AbortController): void;
  leaseUntil(now: Date): Date;
}

/** A first attempt claimed by the INSERT that created its delivery, with what it takes to send it. */
export interface ClaimedAtInsert {
  hook: ActiveWebhook;
  delivery: ClaimedDelivery;
  slot: AbortController;
  event: CarlyEvent;
}

export interface FanOutPass {
  read: number;
  queued: number;
  full: boolean;
  claimed: ClaimedAtInsert[];
}

const parseEvents = (v: string | string[]): string[] => (typeof v === 'string' ? (JSON.parse(v) as string[]) : v);

/**
 * Turns committed events into deliveries: one row per event and matching active webhook. The
 * position in the log lives in the one-row `webhook_fanout` table; each pass locks it, reads the
 * next events with the event log's commit-order rule, inserts their rows (unique per webhook and
 * event, so nothing can be queued twice) and moves the position, in ONE transaction. On
 * PostgreSQL the lock is taken with SKIP LOCKED: while one instance fans out, the others skip the
 * pass instead of queueing behind it.
 */
export class FanOut {
  constructor(
    private readonly em: () => EntityManager,
    private readonly clock: Clock,
    private readonly postgres: boolean,
  ) {}

  /** Creates the position row at the log's head, once: events before webhooks existed are nobody's. */
  async ensurePosition(): Promise<void> {
    const em = this.em();
    const head = (await new EventLog(() => em).head())?.event.id ?? null;
    await em.execute('insert into webhook_fanout (id, position, updated_at) values (1, ?, ?) on conflict (id) do nothing', [head, this.clock.now()]);
  }

  /**
   * One pass; answers how many events it read and how many deliveries it queued. A full batch
   * means more may be waiting: call again at once.
   *
   * With a `claimer`, the first attempt of each new delivery whose webhook has room on this
   * instance is claimed in the same INSERT (attempt 1, leased), and handed back with its event to
   * be sent as soon as the transaction commits: the hot path skips a separate claim. The slots
   * are taken before the INSERT and given back if a row is not created or the transaction fails.
   */
  async pass(claimer?: FanOutClaimer): Promise<FanOutPass> {
    const taken: { webhookId: string; slot: AbortController }[] = [];
    let result: FanOutPass;
    try {
      result = await this.em().transactional(async (em) => {
        const none: FanOutPass = { read: 0, queued: 0, full: false, claimed: [] };
        const [cursor] = await em.execute<{ position: string | null }[]>(
          `select position from webhook_fanout where id = 1${this.postgres ? ' for update skip locked' : ''}`,
        );
        if (!cursor) return none;
        const log = new EventLog(() => em);
        let from: Position | null = null;
        try {
          from = cursor.position === null ? null : await log.positionOf(cursor.position);
        } catch (err) {
          // The position's event aged out of the log (the server was off for 30 days): nothing
          // older than what the log keeps can be delivered anyway, so go on from the oldest kept.
          if (!(err instanceof DomainError)) throw err;
        }
        const items = (await log.read(from, BATCH)).map((logged) => logged.event);
        if (!items.length) return none;
        const page = { items, position: items[items.length - 1]!.id };
        const subscribers = (
          await em.execute<
            {
              id: string;
              url: string;
              events: string | string[];
              created_at: DateValue;
              active_since: DateValue | null;
              secret_enc: string;
              previous_secret_enc: string | null;
              previous_secret_expires_at: DateValue | null;
              slow_until: DateValue | null;
            }[]
          >(
            "select id, url, events, created_at, active_since, secret_enc, previous_secret_enc, previous_secret_expires_at, slow_until from webhooks where status = 'active'",
          )
        ).map(
          (r): Subscriber => ({
            id: r.id,
            events: parseEvents(r.events),
            since: dateOrNull(r.active_since) ?? dateOrNull(r.created_at)!,
            slowUntil: dateOrNull(r.slow_until),
            hook: {
              id: r.id,
              url: r.url,
              secretEnc: r.secret_enc,
              previousSecretEnc: r.previous_secret_enc,
              previousSecretExpiresAt: dateOrNull(r.previous_secret_expires_at),
            },
          }),
        );
        const now = this.clock.now();
        const leaseUntil = claimer ? claimer.leaseUntil(now) : null;
        const rows: unknown[][] = [];
        const slots = new Map<string, AbortController>();
        for (const event of page.items) {
          for (const s of subscribers) {
            // A webhook receives what happens from its creation (or re-enabling) on, never what came
            // before: decided by when the event occurred, not by when this pass happens to read it.
            if (event.occurredAt < s.since) continue;
            if (!s.events.includes('*') && !s.events.includes(event.type)) continue;
            // A slowed-down endpoint (slow-down.ts): queued, due when its pause ends, not sent now.
            const paused = s.slowUntil !== null && s.slowUntil > now;
            const slot = paused ? null : (claimer?.reserve(s.id) ?? null);
            if (slot) {
              taken.push({ webhookId: s.id, slot });
              slots.set(`${s.id} ${event.id}`, slot);
            }
            rows.push([s.id, event.id, event.id.slice('evt_'.length), slot ? 1 : 0, slot ? leaseUntil : null, paused ? s.slowUntil : now, now]);
          }
        }
        const created = new Set<string>();
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
          const chunk = rows.slice(i, i + ROWS_PER_INSERT);
          const inserted = await em.execute<{ id: string | number; webhook_id: string; event_id: string }[]>(
            `insert into webhook_deliveries (webhook_id, event_id, event_row, state, attempts, lease_until, next_attempt_at, created_at) values ` +
              chunk.map(() => `(?, ?, ?, 'pending', ?, ?, ?, ?)`).join(', ') +
              ' on conflict (webhook_id, event_id) do nothing returning id, webhook_id, event_id',
            chunk.flat(),
          );
          for (const row of inserted) created.add(`${row.webhook_id} ${row.event_id}|${row.id}`);
        }
        await em.execute('update webhook_fanout set position = ?, updated_at = ? where id = 1', [page.position, now], 'run');
        const ids = new Map([...created].map((k) => k.split('|') as [string, string]));
        const events = new Map(page.items.map((e) => [e.id, e]));
        const hooks = new Map(subscribers.map((s) => [s.id, s.hook]));
        const claimed: ClaimedAtInsert[] = [];
        for (const [key, slot] of slots) {
          const id = ids.get(key);
          const [webhookId, eventId] = key.split(' ') as [string, string];
          if (id === undefined) continue; // queued before (a re-run): its slot goes back below
          const event = events.get(eventId)!;
          claimed.push({
            hook: hooks.get(webhookId)!,
            slot,
            event,
            delivery: { id: String(id), webhookId, eventId, eventRow: eventId.slice('evt_'.length), payload: null, attempt: 1, interruptedLeaseUntil: null },
          });
        }
        return { read: page.items.length, queued: ids.size, full: page.items.length === BATCH, claimed };
      });
    } catch (err) {
      for (const t of taken) claimer?.cancel(t.webhookId, t.slot);
      throw err;
    }
    const used = new Set(result.claimed.map((c) => c.slot));
    for (const t of taken) if (!used.has(t.slot)) claimer?.cancel(t.webhookId, t.slot);
    return result;
  }
}
