import {
  WebhookAttemptPageSchema,
  WebhookCreatedSchema,
  WebhookCreateInput,
  WebhookDeletedSchema,
  WebhookDeliveriesInput,
  WebhookIdInput,
  WebhookListSchema,
  WebhookResendInput,
  WebhookResentSchema,
  WebhookSchema,
  WebhookSecretSchema,
  WebhookTestSentSchema,
  WebhookUpdateInput,
} from '../../client-sdk/src/schemas/webhooks.js';
import { router, staffProcedure } from '../trpc/init.js';

const tags = ['webhooks'];
const manage = staffProcedure('webhooks:manage');

/** Webhook endpoints: an admin, or an API key with `webhooks:manage`. Delivery: see docs/webhooks.md. */
export const webhooksRouter = router({
  create: manage
    .meta({
      returnsSecret: true,
      openapi: {
        method: 'POST',
        path: '/webhooks',
        tags,
        summary: 'Create a webhook; its signing secret is shown this once',
        description:
          'Events of the listed types (or every type, with `["*"]`) that commit from now on are POSTed to `url`, signed per Standard Webhooks 1.0 ' +
          'with the returned `whsec_` secret. The secret is stored encrypted and never shown again (rotate it to get a new one). ' +
          'A URL whose host is an IP address on a loopback, private, link-local or unique-local network is refused unless the server allows private networks; ' +
          'names are checked at every connection, after DNS.',
      },
    })
    .input(WebhookCreateInput)
    .output(WebhookCreatedSchema)
    .mutation(({ ctx, input }) => ctx.services.webhooks.create(input)),

  list: manage
    .meta({ openapi: { method: 'GET', path: '/webhooks', tags, summary: 'List webhooks (never their secrets)' } })
    .output(WebhookListSchema)
    .query(({ ctx }) => ctx.services.webhooks.list()),

  get: manage
    .meta({ openapi: { method: 'GET', path: '/webhooks/{id}', tags, summary: 'Get one webhook', errorResponses: { 404: 'No such webhook' } } })
    .input(WebhookIdInput)
    .output(WebhookSchema)
    .query(({ ctx, input }) => ctx.services.webhooks.get(input.id)),

  update: manage
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/webhooks/{id}',
        tags,
        summary: 'Change a webhook: url, events, description, status',
        description:
          '`status: "disabled"` pauses deliveries (pending ones wait, new events are not queued for it); `"active"` resumes them and clears `failingSince`.',
        errorResponses: { 404: 'No such webhook' },
      },
    })
    .input(WebhookUpdateInput)
    .output(WebhookSchema)
    .mutation(({ ctx, input }) => ctx.services.webhooks.update(input)),

  delete: manage
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/webhooks/{id}',
        tags,
        summary: 'Delete a webhook: its deliveries stop at once',
        description: 'Its pending deliveries and its delivery history are deleted with it; attempts on the wire on this instance are cut off.',
        errorResponses: { 404: 'No such webhook' },
      },
    })
    .input(WebhookIdInput)
    .output(WebhookDeletedSchema)
    .mutation(({ ctx, input }) => ctx.services.webhooks.delete(input.id)),

  rotateSecret: manage
    .meta({
      returnsSecret: true,
      openapi: {
        method: 'POST',
        path: '/webhooks/{id}/rotate-secret',
        tags,
        summary: 'Rotate the signing secret; the old one keeps signing beside it for 24 hours',
        description:
          'For 24 hours every delivery carries two signatures (`webhook-signature: v1,<new> v1,<old>`), so receivers verifying with either secret keep working while they switch.',
        errorResponses: { 404: 'No such webhook' },
      },
    })
    .input(WebhookIdInput)
    .output(WebhookSecretSchema)
    .mutation(({ ctx, input }) => ctx.services.webhooks.rotateSecret(input.id)),

  deliveries: manage
    .meta({
      openapi: {
        method: 'GET',
        path: '/webhooks/{id}/deliveries',
        tags,
        summary: "A webhook's delivery attempts, newest first",
        errorResponses: { 404: 'No such webhook' },
      },
    })
    .input(WebhookDeliveriesInput)
    .output(WebhookAttemptPageSchema)
    .query(({ ctx, input }) => ctx.services.webhooks.deliveries(input)),

  resend: manage
    .meta({
      openapi: {
        method: 'POST',
        path: '/webhooks/{id}/deliveries/{deliveryId}/resend',
        tags,
        summary: 'Send one delivery again, now',
        description:
          'A new attempt now for the delivery (`deliveryId` from the deliveries list), whatever its state: retrying, given up or delivered. ' +
          'The same event and `webhook-id`, so receivers deduplicate; the attempt numbers go on, and if it fails the retry schedule continues from its number.',
        errorResponses: { 404: 'No such webhook or delivery', 409: 'The webhook is disabled, or an attempt of this delivery is on the wire' },
      },
    })
    .input(WebhookResendInput)
    .output(WebhookResentSchema)
    .mutation(({ ctx, input }) => ctx.services.webhooks.resend(input)),

  test: manage
    .meta({
      openapi: {
        method: 'POST',
        path: '/webhooks/{id}/test',
        tags,
        summary: 'Send a `webhook.test` message now',
        description: 'Queued at once and sent like any event (signed, retried); follow it in the deliveries list by its `eventId`.',
        errorResponses: { 404: 'No such webhook', 409: 'The webhook is disabled' },
      },
    })
    .input(WebhookIdInput)
    .output(WebhookTestSentSchema)
    .mutation(({ ctx, input }) => ctx.services.webhooks.test(input.id)),
});
