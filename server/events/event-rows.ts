import type { EntityManager } from '@mikro-orm/knex';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import type { Recorded, WriteHook } from '../db/write-transaction.js';

/** The PostgreSQL channel every commit that wrote events notifies (a wake-up only). */
export const EVENTS_CHANNEL = 'carly_events';

const EVENT_COLUMNS = 'xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data';
const EVENT_ROW = `(${EVENT_COLUMNS.split(', ')
  .map(() => '?')
  .join(', ')})`;

/**
 * Inserts a change's events (see db/event.entity.ts) with one plain statement: it runs on every
 * write, so without the ORM's query building (the events bench showed that as a visible share of
 * a PATCH's CPU). On PostgreSQL the same statement also notifies the instances listening:
 * delivered at commit, a wake-up, never the data.
 */
async function insertEvents(em: EntityManager, recorded: Recorded): Promise<void> {
  const { events, postgres, who } = recorded;
  const xid = await recorded.xid();
  const at = em.getPlatform().processDateProperty(recorded.at);
  const requestId = recorded.identity.requestId;
  const params: unknown[] = [];
  for (const e of events) {
    params.push(
      xid,
      e.type,
      at,
      e.customer?.id ?? null,
      e.customer?.email ?? null,
      e.customer?.version ?? null,
      JSON.stringify(e.changed),
      who.type,
      who.id,
      requestId,
      e.data ? JSON.stringify(e.data) : null,
    );
  }
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
