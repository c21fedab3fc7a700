import type { ErrorCode } from '../client-sdk/src/schemas/common.js';

/**
 * Errors the services throw. They know nothing of HTTP or tRPC; `trpc/init.ts` maps them
 * once to tRPC error codes, and every wire derives its status from that code.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds a client should wait before retrying (429, 503). */
    readonly retryAfterSeconds?: number,
    /** Field issues of a 400, in the contract's shape, when the input was checked past its schema (a search query). */
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (message: string) => new DomainError('NOT_FOUND', message);
export const conflict = (message: string) => new DomainError('CONFLICT', message);
export const forbidden = (message = 'You may not do this') => new DomainError('FORBIDDEN', message);
export const unauthorized = (message = 'Sign in first') => new DomainError('UNAUTHORIZED', message);
export const badRequest = (message: string) => new DomainError('BAD_REQUEST', message);
/** 400 "Input validation failed" with field issues, as a schema failure answers. */
export const invalidInput = (issues: { path: string; message: string }[]) => new DomainError('BAD_REQUEST', 'Input validation failed', undefined, issues);
export const unprocessable = (message: string) => new DomainError('UNPROCESSABLE_CONTENT', message);
export const preconditionFailed = (message: string) => new DomainError('PRECONDITION_FAILED', message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new DomainError('TOO_MANY_REQUESTS', message, Math.max(1, Math.ceil(retryAfterSeconds)));

/** HTTP status per error code, shared by both wires and the OpenAPI document. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  // tRPC's own code for a query sent as POST or a mutation as GET (answered with `Allow`).
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};
