import { ApiKeySchema } from './api-key.entity.js';
import { AuditEntrySchema } from './audit-entry.entity.js';
import { CustomerSchema } from './customer.entity.js';
import { EmailVerificationTokenSchema } from './email-verification-token.entity.js';
import { EventSchema } from './event.entity.js';
import { IdempotencyRecordSchema } from './idempotency-record.entity.js';
import { ResetTokenSchema } from './reset-token.entity.js';
import { SearchWordSchema } from './search-word.entity.js';
import { SessionSchema } from './session.entity.js';
import { ThrottleEventSchema } from './throttle-event.entity.js';
import { UserSchema } from './user.entity.js';
import { WebhookSchema } from './webhook.entity.js';
import { WebhookAttemptSchema } from './webhook-attempt.entity.js';
import { WebhookDeliverySchema } from './webhook-delivery.entity.js';
import { WebhookFanoutSchema } from './webhook-fanout.entity.js';

/** Every entity the ORM knows; the order does not matter. */
export const entities = [
  CustomerSchema,
  UserSchema,
  SessionSchema,
  ResetTokenSchema,
  ThrottleEventSchema,
  ApiKeySchema,
  IdempotencyRecordSchema,
  EventSchema,
  AuditEntrySchema,
  EmailVerificationTokenSchema,
  WebhookSchema,
  WebhookDeliverySchema,
  WebhookAttemptSchema,
  WebhookFanoutSchema,
  SearchWordSchema,
];
