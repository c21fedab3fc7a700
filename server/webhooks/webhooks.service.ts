import { randomBytes } from 'node:crypto';
import type {
  Webhook,
  WebhookAttempt,
  WebhookCreateData,
  WebhookDeliveriesQuery,
  WebhookResendInput,
  WebhookUpdateData,
} from '../../client-sdk/src/schemas/webhooks.js';
import type { Clock } from '../clock.js';
import { WebhookEntity } from '../db/webhook.entity.js';
import { WebhookAttemptEntity } from '../db/webhook-attempt.entity.js';
import { WebhookDeliveryEntity } from '../db/webhook-delivery.entity.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { checkLiteralHost, socketHost } from './address-guard.js';
import { testMessage } from './payload.js';
import { newWebhookSecret, type SecretBox } from './secret-box.js';

/** After a rotation the previous secret keeps signing this long, so receivers can switch without a gap. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3_600_000;

export const toWebhook = (w: WebhookEntity): Webhook => ({
  id: w.id,
  url: w.url,
  events: w.events,
  description: w.description,
  status: w.status,
  createdAt: w.createdAt,
  failingSince: w.failingSince,
});

const toAttempt = (a: WebhookAttemptEntity): WebhookAttempt => ({
  id: `att_${a.id}`,
  deliveryId: `dlv_${a.delivery.id}`,
  eventId: a.eventId,
  attempt: a.attempt,
  status: a.status,
  responseStatus: a.responseStatus,
  responseHeaders: a.responseHeaders === null ? null : (JSON.parse(a.responseHeaders) as Record<string, string>),
  responseBody: a.responseBody,
  durationMs: a.durationMs,
  error: a.error,
  createdAt: a.createdAt,
  nextAttemptAt: a.nextAttemptAt,
});

/**
 * A URL as the audit trail keeps it: its query string may carry a token (many receivers put one
 * there), and audit entries never hold secrets.
 */
export const auditUrl = (url: string): string => {
  const u = new URL(url);
  return u.search ? `${u.origin}${u.pathname}?[redacted]` : url;
};

export interface WebhookServiceDeps {
  clock: Clock;
  box: SecretBox;
  allowPrivateNetworks: boolean;
  /** Told, once a change committed, that deliveries of this webhook must stop at once (delete). */
  onDeleted: (id: string) => void;
  /** Told, once a change committed, that deliveries may be due (a test message, a re-enabled webhook). */
  onQueued: () => void;
}

/** Webhook endpoints: created, changed and deleted by admins or `webhooks:manage` keys; every change audited. */
export class WebhooksService {
  constructor(
    private readonly writes: WriteTransactions,
    private readonly deps: WebhookServiceDeps,
  ) {}

  /**
   * An IP-literal URL host on a forbidden network is refused at once (400). Names are checked at
   * every connection, after DNS: what a name resolves to now proves nothing about later.
   */
  private checkUrl(url: string): void {
    if (this.deps.allowPrivateNetworks) return;
    const refused = checkLiteralHost(socketHost(new URL(url)));
    if (refused) throw badRequest(`url: ${refused.message}`);
  }

  private async require(id: string): Promise<WebhookEntity> {
    const found = await this.writes.entityManager.findOne(WebhookEntity, { id });
    if (!found) throw notFound(`No webhook with id ${id}`);
    return found;
  }

  async create(input: WebhookCreateData): Promise<{ webhook: Webhook; secret: string }> {
    this.checkUrl(input.url);
    const secret = newWebhookSecret();
    const now = this.deps.clock.now();
    const webhook = await this.writes.run(async (em, log) => {
      const id = `wh_${randomBytes(12).toString('hex')}`;
      const entity = em.create(WebhookEntity, {
        id,
        url: input.url,
        events: input.events,
        description: input.description || null,
        status: 'active',
        secretEnc: this.deps.box.seal(secret, id),
        createdAt: now,
        updatedAt: now,
      });
      log.audit({
        action: 'webhook.created',
        target: { type: 'webhook', id },
        changes: { url: [null, auditUrl(entity.url)], events: [null, entity.events], description: [null, entity.description] },
      });
      return toWebhook(entity);
    });
    // The worker learns at once that there is a webhook to fan events out to.
    this.deps.onQueued();
    return { webhook, secret };
  }

  async list(): Promise<{ items: Webhook[] }> {
    const hooks = await this.writes.entityManager.find(WebhookEntity, {}, { orderBy: { createdAt: 'desc', id: 'asc' } });
    return { items: hooks.map(toWebhook) };
  }

  async get(id: string): Promise<Webhook> {
    return toWebhook(await this.require(id));
  }

  async update({ id, ...patch }: WebhookUpdateData): Promise<Webhook> {
    if (patch.url !== undefined) this.checkUrl(patch.url);
    let resumed = false;
    const updated = await this.writes.run(async (em, log) => {
      const entity = await em.findOne(WebhookEntity, { id });
      if (!entity) throw notFound(`No webhook with id ${id}`);
      const changes: Record<string, [unknown, unknown]> = {};
      if (patch.url !== undefined && patch.url !== entity.url) {
        changes.url = [auditUrl(entity.url), auditUrl(patch.url)];
        entity.url = patch.url;
      }
      if (patch.events !== undefined && JSON.stringify(patch.events) !== JSON.stringify(entity.events)) {
        changes.events = [entity.events, patch.events];
        entity.events = patch.events;
      }
      const description = patch.description === undefined ? undefined : patch.description || null;
      if (description !== undefined && description !== entity.description) {
        changes.description = [entity.description, description];
        entity.description = description;
      }
      if (patch.status !== undefined && patch.status !== entity.status) {
        changes.status = [entity.status, patch.status];
        entity.status = patch.status;
        // Re-enabled: a fresh start, so five more days of failures before it is disabled again.
        if (patch.status === 'active') {
          resumed = true;
          // Events that occurred while it was disabled stay unsent, even if the fan-out reads them later.
          entity.activeSince = this.deps.clock.now();
          if (entity.failingSince) changes.failingSince = [entity.failingSince, null];
          entity.failingSince = null;
        }
      }
      if (Object.keys(changes).length) {
        entity.updatedAt = this.deps.clock.now();
        log.audit({ action: 'webhook.updated', target: { type: 'webhook', id }, changes });
      }
      return toWebhook(entity);
    });
    if (resumed) this.deps.onQueued();
    return updated;
  }

  async delete(id: string): Promise<{ deleted: true; id: string }> {
    const answer = await this.writes.run(async (em, log) => {
      const entity = await em.findOne(WebhookEntity, { id });
      if (!entity) throw notFound(`No webhook with id ${id}`);
      // Its deliveries and their attempts go with it (ON DELETE CASCADE).
      await em.nativeDelete(WebhookEntity, { id });
      log.audit({ action: 'webhook.deleted', target: { type: 'webhook', id }, changes: { url: [auditUrl(entity.url), null] } });
      return { deleted: true as const, id };
    });
    this.deps.onDeleted(id);
    return answer;
  }

  /** A new secret; the current one keeps signing beside it for 24 hours (a second rotation ends that at once). */
  async rotateSecret(id: string): Promise<{ secret: string }> {
    const secret = newWebhookSecret();
    return this.writes.run(async (em, log) => {
      const entity = await em.findOne(WebhookEntity, { id });
      if (!entity) throw notFound(`No webhook with id ${id}`);
      const now = this.deps.clock.now();
      const expires = new Date(now.getTime() + PREVIOUS_SECRET_TTL_MS);
      log.audit({
        action: 'webhook.secretRotated',
        target: { type: 'webhook', id },
        changes: { previousSecretExpiresAt: [entity.previousSecretExpiresAt, expires] },
      });
      entity.previousSecretEnc = entity.secretEnc;
      entity.previousSecretExpiresAt = expires;
      entity.secretEnc = this.deps.box.seal(secret, id);
      entity.updatedAt = now;
      return { secret };
    });
  }

  /** Attempts, newest first, a page at a time (the cursor is the last attempt id of the page before). */
  async deliveries(query: WebhookDeliveriesQuery): Promise<{ items: WebhookAttempt[]; nextCursor: string | null }> {
    await this.require(query.id);
    const before = query.cursor ? query.cursor.slice('att_'.length) : undefined;
    const rows = await this.writes.entityManager.find(
      WebhookAttemptEntity,
      { webhookId: query.id, ...(before ? { id: { $lt: before } } : {}) },
      { orderBy: { id: 'desc' }, limit: query.limit + 1 },
    );
    const page = rows.slice(0, query.limit);
    return { items: page.map(toAttempt), nextCursor: rows.length > query.limit ? `att_${page[page.length - 1]!.id}` : null };
  }

  /**
   * A new attempt now for one delivery, whatever its state: a retrying one is not left to wait
   * for its schedule, a given-up or delivered one is sent again (same event, same `webhook-id`, so
   * receivers deduplicate). The attempt numbers go on; if the new attempt fails, the retry schedule
   * continues from its number (a delivery past the schedule is given up again). 409 while an
   * attempt of it is on the wire, or the webhook is disabled.
   */
  async resend(input: WebhookResendInput): Promise<{ deliveryId: string; eventId: string; attempt: number }> {
    const deliveryId = input.deliveryId.slice('dlv_'.length);
    const answer = await this.writes.run(async (em, log) => {
      const entity = await em.findOne(WebhookEntity, { id: input.id });
      if (!entity) throw notFound(`No webhook with id ${input.id}`);
      const delivery = await em.findOne(WebhookDeliveryEntity, { id: deliveryId, webhook: input.id });
      if (!delivery) throw notFound(`No delivery ${input.deliveryId} for webhook ${input.id}`);
      if (entity.status !== 'active') throw conflict('This webhook is disabled; set its status to active first');
      const now = this.deps.clock.now();
      if (delivery.leaseUntil && delivery.leaseUntil > now) throw conflict('An attempt of this delivery is on the wire now; follow it in the deliveries list');
      const previous = delivery.state;
      delivery.state = 'pending';
      delivery.nextAttemptAt = now;
      log.audit({ action: 'webhook.deliveryResent', target: { type: 'webhook', id: input.id }, changes: { [input.deliveryId]: [previous, 'pending'] } });
      return { deliveryId: input.deliveryId, eventId: delivery.eventId, attempt: delivery.attempts + 1 };
    });
    this.deps.onQueued();
    return answer;
  }

  /** Queues a `webhook.test` message, due now; its attempts show in the deliveries list. */
  async test(id: string): Promise<{ eventId: string }> {
    const identity = this.writes.requestIdentity;
    const answer = await this.writes.run(async (em) => {
      const entity = await em.findOne(WebhookEntity, { id });
      if (!entity) throw notFound(`No webhook with id ${id}`);
      if (entity.status !== 'active') throw conflict('This webhook is disabled; set its status to active first');
      const now = this.deps.clock.now();
      const message = testMessage(identity.actor ?? { type: 'system', id: 'anonymous' }, identity.requestId, now);
      em.create(WebhookDeliveryEntity, {
        webhook: entity,
        eventId: message.id,
        payload: message.body,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
      });
      return { eventId: message.id };
    });
    this.deps.onQueued();
    return answer;
  }
}
