import type { EntityManager } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { CarlyEvent, EventType } from '../../client-sdk/src/schemas/events.js';
import type { Clock } from '../clock.js';
import { EventEntity } from '../db/event.entity.js';
import { badRequest, preconditionFailed } from '../errors.js';

/** Events are kept 30 days; a cursor older than that answers 412 (resync from customers.list). */
export const EVENT_RETENTION_MS = 30 * 24 * 3_600_000;

export interface EventFilter {
  types?: readonly EventType[];
  /** Only events about this customer (public id). */
  customerId?: string;
}

interface EventRow {
  id: string | number;
  xid: string | number;
  type: EventType;
  occurred_at: string | number | Date;
  customer_id: string | null;
  customer_email: string | null;
  customer_version: number | null;
  changed: string | string[];
  actor_type: CarlyEvent['actor']['type'];
  actor_id: string;
  request_id: string | null;
  data: string | Record<string, number> | null;
}

/** A position in the log: after the event with this row id (and, on PostgreSQL, transaction id). */
interface Position {
  xid: string;
  id: string;
}

export const eventId = (rowId: string | number) => `evt_${rowId}`;
const rowIdOf = (eventId: string) => eventId.slice('evt_'.length);

const json = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function toEvent(row: EventRow): CarlyEvent {
  return {
    id: eventId(row.id),
    type: row.type,
    occurredAt: new Date(row.occurred_at),
    customer: row.customer_id ? { id: row.customer_id, email: row.customer_email, version: row.customer_version } : null,
    changed: json<string[]>(row.changed),
    actor: { type: row.actor_type, id: row.actor_id },
    requestId: row.request_id,
    data: row.data === null ? null : json<Record<string, number>>(row.data),
  };
}

const COLUMNS = 'id, xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data';

/**
 * The event log, read in commit order by every reader (GET /events, live subscriptions, the
 * webhook fan-out) with one visibility rule, so they all agree on what happened:
 *
 * - PostgreSQL: identity values are taken at insert but transactions commit in any order, so
 *   "id > last" could skip an event whose transaction committed after a later one's, forever.
 *   Each event carries its transaction's id (xid); a reader returns only events of transactions
 *   older than every transaction still running (`xid < pg_snapshot_xmin(pg_current_snapshot())`),
 *   ordered by (xid, id). Such events are final: nothing can commit before them any more.
 *   The cost: one long write transaction holds readers back until it ends.
 * - SQLite: one writer at a time, so id order is commit order (xid is 0 everywhere).
 */
export class EventLog {
  constructor(
    private readonly em: () => EntityManager,
    private readonly clock: Clock,
  ) {}

  /**
   * Up to `limit` events strictly after the event `after` (an `evt_…` id; null: from the oldest
   * kept), in commit order. `position` is where the read stopped: pass it back as `after`.
   */
  async read(after: string | null, limit: number, filter: EventFilter = {}): Promise<{ items: CarlyEvent[]; position: string | null }> {
    const em = this.em();
    const postgres = em.getPlatform() instanceof PostgreSqlPlatform;
    const from = after === null ? null : await this.positionOf(em, after);
    const params: unknown[] = [];
    const where: string[] = [];
    if (from) {
      if (postgres) {
        where.push('(xid, id) > (?, ?)');
        params.push(from.xid, from.id);
      } else {
        where.push('id > ?');
        params.push(from.id);
      }
    }
    if (postgres) where.push('xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint');
    if (filter.types?.length) {
      where.push(`type in (${filter.types.map(() => '?').join(', ')})`);
      params.push(...filter.types);
    }
    if (filter.customerId) {
      where.push('customer_id = ?');
      params.push(filter.customerId);
    }
    const sql =
      `select ${COLUMNS} from events${where.length ? ` where ${where.join(' and ')}` : ''} ` +
      `order by ${postgres ? 'xid, id' : 'id'} limit ${Math.max(1, Math.floor(limit))}`;
    const rows = await em.execute<EventRow[]>(sql, params);
    const items = rows.map(toEvent);
    return { items, position: items.length ? items[items.length - 1]!.id : after };
  }

  /** Where the event `after` stands; 412 if it is older than the log keeps, 400 if it never existed. */
  private async positionOf(em: EntityManager, after: string): Promise<Position> {
    const rowId = rowIdOf(after);
    if (!/^[1-9][0-9]{0,17}$/.test(rowId)) throw badRequest('Invalid cursor: pass an event id (evt_…) as received');
    const [row] = await em.execute<{ xid: string | number; occurred_at: string | number | Date }[]>(
      'select xid, occurred_at from events where id = ?',
      [rowId],
    );
    const expired = () =>
      preconditionFailed('This cursor is older than the event log keeps (30 days); resync from customers.list, then follow events from now');
    if (!row) {
      const [oldest] = await em.execute<{ id: string | number | null }[]>('select min(id) as id from events');
      if (oldest?.id === null || oldest?.id === undefined || BigInt(rowId) < BigInt(oldest.id)) throw expired();
      throw badRequest(`No event ${after}`);
    }
    if (this.clock.now().getTime() - new Date(row.occurred_at).getTime() > EVENT_RETENTION_MS) throw expired();
    return { xid: String(row.xid), id: rowId };
  }

  /** The newest visible position: where a reader that wants only new events starts. */
  async head(): Promise<string | null> {
    const em = this.em();
    const postgres = em.getPlatform() instanceof PostgreSqlPlatform;
    const sql = postgres
      ? 'select id from events where xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint order by xid desc, id desc limit 1'
      : 'select id from events order by id desc limit 1';
    const [row] = await em.execute<{ id: string | number }[]>(sql);
    return row ? eventId(row.id) : null;
  }

  /** Deletes events older than the retention (housekeeping). */
  static purge(em: EntityManager, now: Date): Promise<number> {
    return em.nativeDelete(EventEntity, { occurredAt: { $lt: new Date(now.getTime() - EVENT_RETENTION_MS) } });
  }
}
