import { EntitySchema } from '@mikro-orm/core';

/**
 * Where the webhook fan-out stands in the event log: one row (id 1). The fan-out locks it, reads
 * the events after `position`, inserts their deliveries and moves `position` in one transaction,
 * so instances sharing a database take turns and no event is fanned out twice or skipped.
 */
export class WebhookFanoutEntity {
  id!: number;
  /** The last event fanned out (`evt_…`); null: none yet. */
  position: string | null = null;
  updatedAt!: Date;
}

export const WebhookFanoutSchema = new EntitySchema<WebhookFanoutEntity>({
  class: WebhookFanoutEntity,
  tableName: 'webhook_fanout',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: false },
    position: { type: 'string', length: 40, nullable: true },
    updatedAt: { type: 'Date' },
  },
});
