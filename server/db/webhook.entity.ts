import { EntitySchema } from '@mikro-orm/core';
import type { WebhookStatus } from '../../client-sdk/src/schemas/webhooks.js';

/**
 * An endpoint that receives events. Its signing secrets are stored encrypted (AES-256-GCM under a
 * key derived from the server secret, see webhooks/secret-box.ts), so a database dump alone does
 * not reveal them; after a rotation the previous secret keeps signing until it expires.
 */
export class WebhookEntity {
  id!: string;
  url!: string;
  /** Event types it receives, or `['*']` for all. */
  events!: string[];
  description: string | null = null;
  status!: WebhookStatus;
  secretEnc!: string;
  previousSecretEnc: string | null = null;
  previousSecretExpiresAt: Date | null = null;
  createdAt!: Date;
  updatedAt!: Date;
  /**
   * When it was last re-enabled; null if never disabled since its creation. Events that occurred
   * before it (while it was disabled) are never queued for it, whenever the fan-out reads them.
   */
  activeSince: Date | null = null;
  /** Since when every attempt has failed; null while it succeeds. Five days of it disable the webhook. */
  failingSince: Date | null = null;
  /**
   * The receiver asked us to slow down (a 429, or a timeout, with no Retry-After): no attempt to
   * it before this time. Null when it is not slowed down.
   */
  slowUntil: Date | null = null;
  /** The current slow-down pause in seconds: doubles at each further 429/timeout, cleared by a success. */
  slowDownSeconds: number | null = null;
}

export const WebhookSchema = new EntitySchema<WebhookEntity>({
  class: WebhookEntity,
  tableName: 'webhooks',
  properties: {
    id: { type: 'string', length: 32, primary: true },
    url: { type: 'string', length: 2048 },
    events: { type: 'json' },
    description: { type: 'string', length: 500, nullable: true },
    status: { type: 'string', length: 16 },
    secretEnc: { type: 'text', hidden: true },
    previousSecretEnc: { type: 'text', nullable: true, hidden: true },
    previousSecretExpiresAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    activeSince: { type: 'Date', nullable: true },
    failingSince: { type: 'Date', nullable: true },
    slowUntil: { type: 'Date', nullable: true },
    slowDownSeconds: { type: 'integer', nullable: true },
  },
});
