import { EntitySchema } from '@mikro-orm/core';
import type { ActorType } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';

/**
 * One change event, written in the same transaction as the change it describes.
 *
 * `xid` orders events in commit order: on PostgreSQL it is the writing transaction's id
 * (`pg_current_xact_id()`), and readers only read events of transactions older than every
 * transaction still running (see events/visibility.ts), ordered by (xid, id); an identity
 * value alone would skip an event whose transaction commits after a later one's. SQLite has one
 * writer at a time, so id order is commit order there and xid stays 0.
 */
export class EventEntity {
  id!: string;
  xid!: string;
  type!: EventType;
  occurredAt!: Date;
  customerId: string | null = null;
  customerEmail: string | null = null;
  customerVersion: number | null = null;
  changed!: string[];
  actorType!: ActorType;
  actorId!: string;
  requestId: string | null = null;
  data: Record<string, number> | null = null;
}

export const EventSchema = new EntitySchema<EventEntity>({
  class: EventEntity,
  tableName: 'events',
  properties: {
    // bigserial on PostgreSQL; SQLite's autoincrement key is always `integer` (64-bit there), so
    // the column type is not compared.
    id: { type: 'bigint', primary: true, autoincrement: true, ignoreSchemaChanges: ['type'] },
    xid: { type: 'bigint', default: 0 },
    type: { type: 'string', length: 40 },
    occurredAt: { type: 'Date', index: 'events_occurred_at_index' },
    customerId: { type: 'string', length: 32, nullable: true, index: 'events_customer_id_index' },
    customerEmail: { type: 'string', length: 254, nullable: true },
    customerVersion: { type: 'integer', nullable: true },
    changed: { type: 'json' },
    actorType: { type: 'string', length: 16 },
    actorId: { type: 'string', length: 64 },
    requestId: { type: 'string', length: 64, nullable: true },
    data: { type: 'json', nullable: true },
  },
  indexes: [{ name: 'events_xid_id_index', properties: ['xid', 'id'] }],
});
