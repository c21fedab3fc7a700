import { randomBytes } from 'node:crypto';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import { WEBHOOK_TEST_TYPE } from '../../client-sdk/src/schemas/webhooks.js';

/**
 * The body Standard Webhooks prescribes: `{ type, timestamp, data }`, `data` being the event as
 * GET /events shows it and `timestamp` when it happened. Built from the event row at each attempt,
 * the same bytes every time (unless the person was erased since: then the pseudonymised event).
 */
export const webhookBody = (event: CarlyEvent): string => JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event });

/** A `webhook.test` message: shaped like an event, so a receiver's parser takes it too. */
export function testMessage(actor: Actor, requestId: string | null, now: Date): { id: string; body: string } {
  const id = `whtest_${randomBytes(12).toString('hex')}`;
  const data = { id, type: WEBHOOK_TEST_TYPE, occurredAt: now.toISOString(), customer: null, changed: [], actor, requestId, data: null };
  return { id, body: JSON.stringify({ type: WEBHOOK_TEST_TYPE, timestamp: now.toISOString(), data }) };
}
