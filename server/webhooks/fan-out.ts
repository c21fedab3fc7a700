import type { EntityManager } from '@mikro-orm/knex';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { EventLog } from '../events/event-log.js';
import { dateOrNull, type DateValue } from './delivery-store.js';

/** Events read per transaction. */
const BATCH = 500;
/** Delivery rows per INSERT statement. */
const ROWS_PER_INSERT = 200;

interface Subscriber {
  id: string;
  events: string[];
  createdAt: Date;
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
    const head = await new EventLog(() => em, this.clock).head();
    await em.execute('insert into webhook_fanout (id, position, updated_at) values (1, ?, ?) on conflict (id) do nothing', [head, this.clock.now()]);
  }

  /**
   * One pass; answers how many events it read and how many deliveries it queued. A full batch
   * means more may be waiting: call again at once.
   */
  async pass(): Promise<{ read: number; queued: number; full: boolean }> {
    return this.em().transactional(async (em) => {
      const [cursor] = await em.execute<{ position: string | null }[]>(
        `select position from webhook_fanout where id = 1${this.postgres ? ' for update skip locked' : ''}`,
      );
      if (!cursor) return { read: 0, queued: 0, full: false };
      const log = new EventLog(() => em, this.clock);
      let page;
      try {
        page = await log.read(cursor.position, BATCH);
      } catch (err) {
        // The position's event aged out of the log (the server was off for 30 days): nothing
        // older than what the log keeps can be delivered anyway, so go on from the oldest kept.
        if (!(err instanceof DomainError)) throw err;
        page = await log.read(null, BATCH);
      }
      if (!page.items.length) return { read: 0, queued: 0, full: false };
      const subscribers = (
        await em.execute<{ id: string; events: string | string[]; created_at: DateValue }[]>(
          "select id, events, created_at from webhooks where status = 'active'",
        )
      ).map((r): Subscriber => ({ id: r.id, events: parseEvents(r.events), createdAt: dateOrNull(r.created_at)! }));
      const now = this.clock.now();
      const rows: unknown[][] = [];
      for (const event of page.items) {
        for (const s of subscribers) {
          // A webhook receives what happens from its creation on, never what came before.
          if (event.occurredAt < s.createdAt) continue;
          if (!s.events.includes('*') && !s.events.includes(event.type)) continue;
          rows.push([s.id, event.id, event.id.slice('evt_'.length), now, now]);
        }
      }
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        await em.execute(
          `insert into webhook_deliveries (webhook_id, event_id, event_row, state, attempts, next_attempt_at, created_at) values ` +
            chunk.map(() => `(?, ?, ?, 'pending', 0, ?, ?)`).join(', ') +
            ' on conflict (webhook_id, event_id) do nothing',
          chunk.flat(),
          'run',
        );
      }
      await em.execute('update webhook_fanout set position = ?, updated_at = ? where id = 1', [page.position, now], 'run');
      return { read: page.items.length, queued: rows.length, full: page.items.length === BATCH };
    });
  }
}
