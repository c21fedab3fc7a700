/**
 * @carly/client: the typed client for the Carly customer-data API, and the zod schemas the
 * server validates with (use them to validate forms with exactly the server's rules).
 */
export * from './schemas/index.js';
export * from './query/index.js';
export { createCarlyClient } from './client.js';
export type {
  CallOptions,
  CarlyClient,
  CarlyClientOptions,
  CarlyFetch,
  ChangeFollowing,
  ChangeHandlers,
  BulkTransfer,
  CustomerIterateInput,
  CustomerIteration,
  CustomerSearchAllInput,
  EventIterateInput,
  EventIteration,
  ProcedureMethods,
  TokenPair,
} from './client.js';
export type { BulkCallOptions, BulkExport, BulkExportInput, BulkImportRow } from './bulk-client.js';
export { CarlyError, HttpStatusError, isCarlyError, toCarlyError } from './errors.js';
export type { CarlyErrorCode, CarlyErrorOptions, FieldIssue } from './errors.js';
export type { RetryOptions } from './retry.js';
export type { OpenTelemetryApi } from './trace-context.js';
export { PROCEDURES } from './procedures.js';
export type { ProcedurePath } from './procedures.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './router.js';
export { verifyWebhook, WebhookVerificationError, WEBHOOK_TOLERANCE_SECONDS } from './webhooks.js';
export type { VerifyWebhookOptions, WebhookEventData, WebhookHeaders, WebhookMessage } from './webhooks.js';
