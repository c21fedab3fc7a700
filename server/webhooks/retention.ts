import type { EntityManager } from '@mikro-orm/knex';
import { WebhookDeliveryEntity } from '../db/webhook-delivery.entity.js';

/** Deliveries (and their attempts) are kept 30 days, as long as the events they carry. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3_600_000;

/** Deletes deliveries older than the retention, with their attempts (ON DELETE CASCADE). */
export function purgeWebhookDeliveries(em: EntityManager, now: Date): Promise<number> {
  return em.nativeDelete(WebhookDeliveryEntity, { createdAt: { $lt: new Date(now.getTime() - DELIVERY_RETENTION_MS) } });
}
