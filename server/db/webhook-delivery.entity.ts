import { EntitySchema } from '@mikro-orm/core';
import { WebhookEntity } from './webhook.entity.js';

export type DeliveryState = 'pending' | 'succeeded' | 'failed';

/**
 * One event to deliver to one webhook: written by the fan-out (unique per webhook and event, so
 * a re-run cannot duplicate it), claimed by a dispatcher for one attempt at a time.
 *
 * `attempts` counts attempts started: a claim increments it, so each attempt number is claimed
 * once and never sent twice. `leaseUntil` is set while an attempt is on the wire; a claim whose
 * lease ran out (its instance died) may be taken again, and `previousLeaseUntil` then tells the
 * new claimer that the attempt before it left no result.
 */
export class WebhookDeliveryEntity {
  id!: string;
  webhook!: WebhookEntity;
  /** `evt_…` for an event of the log, `whtest_…` for a test message; the `webhook-id` header. */
  eventId!: string;
  /** The events row to send (null for a test message, which carries its own payload). */
  eventRow: string | null = null;
  payload: string | null = null;
  state!: DeliveryState;
  attempts = 0;
  nextAttemptAt: Date | null = null;
  leaseUntil: Date | null = null;
  previousLeaseUntil: Date | null = null;
  createdAt!: Date;
}

export const WebhookDeliverySchema = new EntitySchema<WebhookDeliveryEntity>({
  class: WebhookDeliveryEntity,
  tableName: 'webhook_deliveries',
  properties: {
    // bigserial on PostgreSQL; SQLite's autoincrement key is always `integer` (64-bit there).
    id: { type: 'bigint', primary: true, autoincrement: true, ignoreSchemaChanges: ['type'] },
    webhook: { kind: 'm:1', entity: () => WebhookEntity, deleteRule: 'cascade' },
    eventId: { type: 'string', length: 40 },
    eventRow: { type: 'bigint', nullable: true },
    payload: { type: 'text', nullable: true },
    state: { type: 'string', length: 16 },
    attempts: { type: 'integer', default: 0 },
    nextAttemptAt: { type: 'Date', nullable: true },
    leaseUntil: { type: 'Date', nullable: true },
    previousLeaseUntil: { type: 'Date', nullable: true },
    createdAt: { type: 'Date', index: 'webhook_deliveries_created_at_index' },
  },
  uniques: [{ name: 'webhook_deliveries_webhook_event_unique', properties: ['webhook', 'eventId'] }],
  indexes: [{ name: 'webhook_deliveries_due_index', properties: ['state', 'nextAttemptAt'] }],
});
