import type { EntityManager } from '@mikro-orm/knex';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import type { Recorded, WriteHook } from '../db/write-transaction.js';

/** The PostgreSQL channel every commit that wrote events notifies (a wake-up only). */
export const EVENTS_CHANNEL = 'carly_events';

const EVENT_COLUMNS = 'xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data';
const EVENT_ROW = `(${EVENT_COLUMNS.split(', ')
  .map(() => '?')
  .join(', ')})`;

/** One event on the write lane (db/write-lane.ts); on PostgreSQL it also notifies (at commit; several in a transaction fold into one). */
const EVENT_STATEMENT = {
  name: 'carly_event_insert',
  sql: {
    sqlite: `insert into events (${EVENT_COLUMNS}) values ${EVENT_ROW}`,
    postgresql: `with recorded as (insert into events (${EVENT_COLUMNS}) values (${EVENT_COLUMNS.split(', ')
      .map((_, i) => `$${i + 1}`)
      .join(', ')})) select pg_notify('${EVENTS_CHANNEL}', '')`,
  },
};

/** An event's values, in EVENT_COLUMNS order. */
function eventValues(e: Recorded['events'][number], xid: string, at: unknown, recorded: Recorded): unknown[] {
  return [
    xid,
    e.type,
    at,
    e.customer?.id ?? null,
    e.customer?.email ?? null,
    e.customer?.version ?? null,
    JSON.stringify(e.changed),
    recorded.who.type,
    recorded.who.id,
    recorded.identity.requestId,
    e.data ? JSON.stringify(e.data) : null,
  ];
}

/**
 * Inserts a change's events (see db/event.entity.ts) with one plain statement: it runs on every
 * write, so without the ORM's query building (the events bench showed that as a visible share of
 * a PATCH's CPU); on the write lane when the transaction has one (statement prepared once). On PostgreSQL the same statement also notifies the instances listening:
 * delivered at commit, a wake-up, never the data.
 */
async function insertEvents(em: EntityManager, recorded: Recorded): Promise<void> {
  const { events, postgres, lane } = recorded;
  const xid = await recorded.xid();
  if (lane) {
    // A statement prepared once per connection, bound per event (a change records one, nearly always).
    for (const e of events) await lane.run(em, EVENT_STATEMENT, eventValues(e, xid, recorded.at, recorded));
    return;
  }
  const at = em.getPlatform().processDateProperty(recorded.at);
  const params = events.flatMap((e) => eventValues(e, xid, at, recorded));
  const insert = `insert into events (${EVENT_COLUMNS}) values ${events.map(() => EVENT_ROW).join(', ')}`;
  await em.execute(postgres ? `with recorded as (${insert}) select pg_notify('${EVENTS_CHANNEL}', '')` : insert, params, postgres ? 'all' : 'run');
}

export interface EventRowsOptions {
  /** Benchmarks only: false writes no events (and announces none), to measure what the log costs. Default true. */
  record?: boolean;
  /** Called after a commit that wrote events, with their types (wakes live readers in this process, counts them). */
  onCommitted?: (types: readonly EventType[]) => void;
}

/** The write transaction's hook that writes a change's events with it (db/write-transaction.ts). */
export function eventRows(options: EventRowsOptions = {}): WriteHook {
  if (options.record === false) return {};
  const { onCommitted } = options;
  return {
    beforeCommit: async (em, recorded) => {
      if (recorded.events.length) await insertEvents(em, recorded);
    },
    afterCommit: ({ events }) => {
      if (events.length) onCommitted?.(events.map((e) => e.type));
    },
  };
}
