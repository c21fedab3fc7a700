/**
 * @carly/client: the typed client for the Carly customer-data API, and the zod schemas the
 * server validates with (use them to validate forms with exactly the server's rules).
 */

export type { BulkCallOptions, BulkExport, BulkExportInput, BulkImportRow } from './bulk-client.js';
export type {
  BulkTransfer,
  CallOptions,
  CarlyClient,
  CarlyClientOptions,
  CarlyFetch,
  ChangeFollowing,
  ChangeHandlers,
  CustomerIterateInput,
  CustomerIteration,
  CustomerSearchAllInput,
  EventIterateInput,
  EventIteration,
  ProcedureMethods,
  TokenPair,
} from './client.js';
export { createCarlyClient } from './client.js';
export type { CarlyErrorCode, CarlyErrorOptions, FieldIssue } from './errors.js';
export { CarlyError, HttpStatusError, isCarlyError, toCarlyError } from './errors.js';
export type { ProcedurePath } from './procedures.js';
export { PROCEDURES } from './procedures.js';
export * from './query/index.js';
export type { RetryOptions } from './retry.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './router.js';
export * from './schemas/index.js';
export type { OpenTelemetryApi } from './trace-context.js';
export type { VerifyWebhookOptions, WebhookEventData, WebhookHeaders, WebhookMessage } from './webhooks.js';
export { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS, WebhookVerificationError } from './webhooks.js';
