import type { EntityManager } from '@mikro-orm/knex';
import type { CarlyEvent, EventType } from '../../client-sdk/src/schemas/events.js';
import { isPostgres } from '../db/dialect.js';
import { EventEntity } from '../db/event.entity.js';
import { badRequest, preconditionFailed } from '../errors.js';

/** Events are kept 30 days (the newest one always; see purge); a cursor whose event is gone answers 412. */
export const EVENT_RETENTION_MS = 30 * 24 * 3_600_000;

export interface EventFilter {
  types?: readonly EventType[];
  /** Only events about this customer (public id). */
  customerId?: string;
}

/**
 * A place in the log, in commit order: the writing transaction's id (0 on SQLite), then the row id.
 * Event ids (`evt_<row id>`) name a place once resolved against the log (`positionOf`).
 */
export interface Position {
  xid: bigint;
  id: bigint;
}

/** An event with its place in the log. */
export interface LoggedEvent {
  event: CarlyEvent;
  position: Position;
}

export const comparePositions = (a: Position, b: Position): number => (a.xid < b.xid ? -1 : a.xid > b.xid ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

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

export const eventId = (rowId: string | number | bigint) => `evt_${rowId}`;
const EVENT_ID = /^evt_([1-9][0-9]{0,17})$/;

const json = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const positionOfRow = (row: { xid: string | number; id: string | number }): Position => ({ xid: BigInt(row.xid), id: BigInt(row.id) });

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
 * "Strictly after `p`" / "at or before `p`" in (xid, id) order, as SQL with parameters: row-value
 * comparisons, which both databases answer with a range scan of the (xid, id) index.
 */
const afterSql = (p: Position): [string, unknown[]] => ['(xid, id) > (?, ?)', [String(p.xid), String(p.id)]];
const upToSql = (p: Position): [string, unknown[]] => ['(xid, id) <= (?, ?)', [String(p.xid), String(p.id)]];

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
  constructor(private readonly em: () => EntityManager) {}

  private get postgres(): boolean {
    return isPostgres(this.em());
  }

  /**
   * Up to `limit` visible events strictly after `after` (null: from the oldest kept) and at or
   * before `upTo` (when given), matching `filter`, in commit order.
   */
  async read(after: Position | null, limit: number, filter: EventFilter = {}, upTo?: Position): Promise<LoggedEvent[]> {
    const em = this.em();
    const postgres = isPostgres(em);
    const params: unknown[] = [];
    const where: string[] = [];
    const add = ([sql, values]: [string, unknown[]]) => {
      where.push(sql);
      params.push(...values);
    };
    if (after) add(afterSql(after));
    if (upTo) add(upToSql(upTo));
    if (postgres) where.push('xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint');
    if (filter.types?.length) add([`type in (${filter.types.map(() => '?').join(', ')})`, [...filter.types]]);
    if (filter.customerId !== undefined) add(['customer_id = ?', [filter.customerId]]);
    const sql =
      `select ${COLUMNS} from events${where.length ? ` where ${where.join(' and ')}` : ''} ` + `order by xid, id limit ${Math.max(1, Math.floor(limit))}`;
    const rows = await em.execute<EventRow[]>(sql, params);
    return rows.map((row) => ({ event: toEvent(row), position: positionOfRow(row) }));
  }

  /**
   * One page for a poller: up to `limit` events after the event `after` (an `evt_…` id; null:
   * from the oldest kept). `position` is where to continue (pass it back as `after`): the last
   * event returned when the page is full; otherwise the newest visible event, even if the filter
   * skipped it, so a filtered poller moves on with the log; `after` itself when the log has
   * nothing newer; null only when the log is empty.
   */
  async page(after: string | null, limit: number, filter: EventFilter = {}): Promise<{ items: CarlyEvent[]; position: string | null }> {
    const from = after === null ? null : await this.positionOf(after);
    const head = await this.head();
    if (!head || (from && comparePositions(head.position, from) <= 0)) return { items: [], position: after };
    // Bounded by the head read first, so "fewer than limit" means "everything up to the head".
    const items = await this.read(from, limit, filter, head.position);
    const last = items.length === limit ? items[items.length - 1]! : head;
    return { items: items.map((i) => i.event), position: last.event.id };
  }

  /**
   * Where the event `id` stands in the log. 400 if it is not an event id or never existed; 412 if
   * it was purged (events after it may be gone too: resync).
   */
  async positionOf(id: string): Promise<Position> {
    const rowId = EVENT_ID.exec(id)?.[1];
    if (!rowId) throw badRequest('Invalid cursor: pass an event id (evt_…) as received');
    const em = this.em();
    const [row] = await em.execute<{ xid: string | number; id: string | number }[]>('select xid, id from events where id = ?', [rowId]);
    if (row) return positionOfRow(row);
    const [newest] = await em.execute<{ id: string | number | null }[]>('select max(id) as id from events');
    if (newest?.id !== null && newest?.id !== undefined && BigInt(rowId) <= BigInt(newest.id)) {
      throw preconditionFailed(`Event ${id} is older than the event log keeps (30 days); resync from customers.list, then follow events from now`);
    }
    throw badRequest(`No event ${id}`);
  }

  /** The newest visible event: where a reader that wants only new events starts. */
  async head(): Promise<LoggedEvent | null> {
    const em = this.em();
    const visible = this.postgres ? ' where xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint' : '';
    const [row] = await em.execute<EventRow[]>(`select ${COLUMNS} from events${visible} order by xid desc, id desc limit 1`);
    return row ? { event: toEvent(row), position: positionOfRow(row) } : null;
  }

  /**
   * Deletes events older than the retention (housekeeping), in log order: everything before the
   * first event (in commit order) that is still young, and never the newest event, so a reader
   * whose cursor event still exists has lost nothing after it, and a reader caught up with a
   * quiet log never finds its cursor purged.
   */
  static async purge(em: EntityManager, now: Date): Promise<number> {
    const threshold = new Date(now.getTime() - EVENT_RETENTION_MS);
    const [young] = await em
      .createQueryBuilder(EventEntity)
      .select(['xid', 'id'])
      .where({ occurredAt: { $gte: threshold } })
      .orderBy({ xid: 'asc', id: 'asc' })
      .limit(1)
      .execute<{ xid: string | number; id: string | number }[]>('all', false);
    const [newest] = young
      ? [young]
      : await em.execute<{ xid: string | number; id: string | number }[]>('select xid, id from events order by xid desc, id desc limit 1');
    if (!newest) return 0;
    const keepFrom = positionOfRow(newest);
    const result = await em.execute<{ affectedRows?: number; rowCount?: number }>(
      'delete from events where xid < ? or (xid = ? and id < ?)',
      [String(keepFrom.xid), String(keepFrom.xid), String(keepFrom.id)],
      'run',
    );
    return Number(result.affectedRows ?? result.rowCount ?? 0);
  }
}
