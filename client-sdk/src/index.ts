/**
 * @carly/client: the typed client for the Carly customer-data API, and the zod schemas the
 * server validates with (use them to validate forms with exactly the server's rules).
 */
export * from './schemas/index.js';
export { createCarlyClient } from './client.js';
export type {
  CallOptions,
  CarlyClient,
  CarlyClientOptions,
  CarlyFetch,
  ChangeFollowing,
  ChangeHandlers,
  CustomerIterateInput,
  CustomerIteration,
  EventIterateInput,
  EventIteration,
  ProcedureMethods,
  TokenPair,
} from './client.js';
export { CarlyError, isCarlyError, toCarlyError } from './errors.js';
export type { CarlyErrorCode, CarlyErrorOptions, FieldIssue } from './errors.js';
export { PROCEDURES } from './procedures.js';
export type { ProcedurePath } from './procedures.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './router.js';
