import { z } from 'zod';
import { queryLimit, TimestampSchema, text } from './common.js';
import { EventTypeSchema } from './events.js';

export const WEBHOOK_STATUSES = ['active', 'disabled'] as const;
export const WebhookStatusSchema = z.enum(WEBHOOK_STATUSES).meta({ id: 'WebhookStatus' });
export type WebhookStatus = z.infer<typeof WebhookStatusSchema>;

/** The type of the message `webhooks.test` sends (never in the event log). */
export const WEBHOOK_TEST_TYPE = 'webhook.test';

/** What a webhook subscribes to: event types, or `["*"]` for every type (including ones added later). */
export const WebhookEventsSchema = z
  .array(z.union([EventTypeSchema, z.literal('*')]))
  .min(1, 'Subscribe to at least one event type, or ["*"]')
  .max(20)
  .refine((e) => new Set(e).size === e.length, 'Each event type at most once')
  .refine((e) => !e.includes('*') || e.length === 1, '"*" stands alone: it already means every type')
  .meta({ description: 'Event types to receive, or `["*"]` for all', example: ['customer.created', 'customer.updated'] });

/**
 * A webhook URL: http or https, no user name or password (they would be stored and sent in
 * clear), no fragment. Private and loopback addresses are refused by the server unless it allows
 * them (WEBHOOK_ALLOW_PRIVATE_NETWORKS), at create and at every connection.
 */
export const WebhookUrlSchema = text()
  .trim()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Not a URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'Only http and https URLs are accepted' });
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'Put no credentials in the URL; verify the signature instead' });
    if (url.hash) ctx.addIssue({ code: 'custom', message: 'A URL fragment is never sent; leave it out' });
  })
  .meta({ description: 'Where events are POSTed (http or https)', example: 'https://example.com/hooks/carly' });

const DescriptionSchema = text().trim().max(500).meta({ example: 'CRM sync' });

export const WebhookSchema = z
  .object({
    id: z.string().meta({ example: 'wh_5b1e0c9a7d3f2e8b6a4c1d0e' }),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    status: WebhookStatusSchema,
    createdAt: TimestampSchema,
    failingSince: TimestampSchema.nullable().meta({
      description: 'Since when every attempt has failed; null while deliveries succeed. After 5 days the webhook is disabled.',
    }),
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.output<typeof WebhookSchema>;

export const WebhookCreateInput = z
  .strictObject({
    url: WebhookUrlSchema,
    events: WebhookEventsSchema,
    description: DescriptionSchema.optional(),
  })
  .meta({ id: 'WebhookCreate' });
export type WebhookCreateInput = z.input<typeof WebhookCreateInput>;
export type WebhookCreateData = z.output<typeof WebhookCreateInput>;

const SecretSchema = z.string().meta({
  description: 'The signing secret (`whsec_` + base64 of 32 random bytes). Shown this once; verify deliveries with it.',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3n4oWkJ8aeU=',
});

export const WebhookCreatedSchema = z.object({ webhook: WebhookSchema, secret: SecretSchema }).meta({ id: 'WebhookCreated' });
export const WebhookSecretSchema = z.object({ secret: SecretSchema }).meta({ id: 'WebhookSecret' });
export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) }).meta({ id: 'WebhookList' });

export const WebhookIdInput = z.strictObject({ id: text().min(1).max(64) });
export type WebhookIdInput = z.input<typeof WebhookIdInput>;

export const WebhookUpdateInput = z
  .strictObject({
    id: text().min(1).max(64),
    url: WebhookUrlSchema.optional(),
    events: WebhookEventsSchema.optional(),
    description: DescriptionSchema.nullable().optional().meta({ description: 'null clears it' }),
    status: WebhookStatusSchema.optional().meta({
      description: '`disabled` pauses deliveries (pending ones wait); `active` resumes them and clears failingSince',
    }),
  })
  .meta({ id: 'WebhookUpdate' });
export type WebhookUpdateInput = z.input<typeof WebhookUpdateInput>;
export type WebhookUpdateData = z.output<typeof WebhookUpdateInput>;

export const WebhookDeletedSchema = z.object({ deleted: z.literal(true), id: z.string() }).meta({ id: 'WebhookDeleted' });

/**
 * `succeeded`: answered 2xx. `retrying`: this attempt failed and another is scheduled
 * (`nextAttemptAt`). `failed`: this attempt failed and the delivery was given up (the retry
 * schedule is spent, the receiver answered 410, or the event left the log).
 */
export const WEBHOOK_ATTEMPT_STATUSES = ['succeeded', 'retrying', 'failed'] as const;
export const WebhookAttemptStatusSchema = z.enum(WEBHOOK_ATTEMPT_STATUSES).meta({
  description: '`succeeded`: answered 2xx; `retrying`: failed, another attempt is scheduled (`nextAttemptAt`); `failed`: failed and given up',
});
export type WebhookAttemptStatus = z.infer<typeof WebhookAttemptStatusSchema>;

export const WebhookAttemptSchema = z
  .object({
    id: z.string().meta({ example: 'att_311' }),
    deliveryId: z.string().meta({
      description: 'The delivery (one event to this webhook) the attempt belongs to; resend it with POST /webhooks/{id}/deliveries/{deliveryId}/resend',
      example: 'dlv_207',
    }),
    eventId: z.string().meta({ description: 'The event sent: the `webhook-id` header, the same on every attempt', example: 'evt_1042' }),
    attempt: z.number().int().meta({ description: '1 for the first attempt' }),
    status: WebhookAttemptStatusSchema,
    responseStatus: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when no answer came" }),
    responseHeaders: z
      .record(z.string(), z.string())
      .nullable()
      .meta({
        description:
          "The receiver's answer headers that help diagnose it (content-type, retry-after, server, request ids…); never cookies or credentials. Null when no answer came",
        example: { 'content-type': 'application/json', 'retry-after': '30' },
      }),
    responseBody: z
      .string()
      .nullable()
      .meta({ description: "The first 4 KiB of the receiver's answer body (as UTF-8 text); null when no answer came", example: '{"error":"busy"}' }),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable().meta({ description: 'Why it failed, when it did', example: 'HTTP 500' }),
    createdAt: TimestampSchema,
    nextAttemptAt: TimestampSchema.nullable().meta({ description: 'When the next attempt is due; null when none will follow' }),
  })
  .meta({ id: 'WebhookAttempt' });
export type WebhookAttempt = z.output<typeof WebhookAttemptSchema>;

export const WebhookDeliveriesInput = z
  .strictObject({
    id: text().min(1).max(64),
    limit: queryLimit(200, 50),
    cursor: text()
      .regex(/^att_[1-9][0-9]{0,17}$/, 'Invalid cursor: pass nextCursor as received')
      .optional()
      .meta({ description: 'The nextCursor of the previous page' }),
  })
  .meta({ id: 'WebhookDeliveriesQuery' });
export type WebhookDeliveriesInput = z.input<typeof WebhookDeliveriesInput>;
export type WebhookDeliveriesQuery = z.output<typeof WebhookDeliveriesInput>;

export const WebhookAttemptPageSchema = z
  .object({
    items: z.array(WebhookAttemptSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next (older) page; null on the last page' }),
  })
  .meta({ id: 'WebhookAttemptPage' });

export const WebhookTestSentSchema = z
  .object({
    eventId: z
      .string()
      .meta({ description: 'The `webhook-id` of the test message; follow it in the deliveries list', example: 'whtest_9c2e4f6a8b0d1e3f5a7c9e1b' }),
  })
  .meta({ id: 'WebhookTestSent' });

export const WebhookResendInput = z
  .strictObject({
    id: text().min(1).max(64),
    deliveryId: text().regex(/^dlv_[1-9][0-9]{0,17}$/, 'Invalid delivery id: pass deliveryId as listed'),
  })
  .meta({ id: 'WebhookResend' });
export type WebhookResendInput = z.input<typeof WebhookResendInput>;

export const WebhookResentSchema = z
  .object({
    deliveryId: z.string().meta({ example: 'dlv_207' }),
    eventId: z.string().meta({ description: 'The event sent again: the same `webhook-id` as before, so receivers can deduplicate', example: 'evt_1042' }),
    attempt: z.number().int().meta({ description: 'The number the new attempt will have' }),
  })
  .meta({ id: 'WebhookResent' });
