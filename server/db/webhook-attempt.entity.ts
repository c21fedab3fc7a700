import { EntitySchema } from '@mikro-orm/core';
import type { WebhookAttemptStatus } from '../../client-sdk/src/schemas/webhooks.js';
import { WebhookDeliveryEntity } from './webhook-delivery.entity.js';

/** One attempt to deliver one event to one webhook: what `webhooks.deliveries` lists. */
export class WebhookAttemptEntity {
  id!: string;
  delivery!: WebhookDeliveryEntity;
  /** Copied from the delivery, so a webhook's attempts are listed from one index. */
  webhookId!: string;
  eventId!: string;
  attempt!: number;
  status!: WebhookAttemptStatus;
  responseStatus: number | null = null;
  /** The receiver's diagnostic headers, as JSON (an allowlist: never cookies or credentials). */
  responseHeaders: string | null = null;
  /** The first 4 KiB of the receiver's answer. */
  responseBody: string | null = null;
  durationMs: number | null = null;
  error: string | null = null;
  createdAt!: Date;
  nextAttemptAt: Date | null = null;
}

export const WebhookAttemptSchema = new EntitySchema<WebhookAttemptEntity>({
  class: WebhookAttemptEntity,
  tableName: 'webhook_attempts',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true, ignoreSchemaChanges: ['type'] },
    delivery: { kind: 'm:1', entity: () => WebhookDeliveryEntity, deleteRule: 'cascade' },
    webhookId: { type: 'string', length: 32 },
    eventId: { type: 'string', length: 40 },
    attempt: { type: 'integer' },
    status: { type: 'string', length: 16 },
    responseStatus: { type: 'integer', nullable: true },
    responseHeaders: { type: 'text', nullable: true },
    responseBody: { type: 'text', nullable: true },
    durationMs: { type: 'integer', nullable: true },
    error: { type: 'string', length: 500, nullable: true },
    createdAt: { type: 'Date' },
    nextAttemptAt: { type: 'Date', nullable: true },
  },
  uniques: [{ name: 'webhook_attempts_delivery_attempt_unique', properties: ['delivery', 'attempt'] }],
  indexes: [{ name: 'webhook_attempts_webhook_id_index', properties: ['webhookId', 'id'] }],
});
