import { TRPCError } from '@trpc/server';
import type { ZodError } from 'zod';
import type { ErrorBody, ErrorCode } from '../client-sdk/src/schemas/common.js';
import { DomainError, HTTP_STATUS } from './errors.js';
import { toFieldIssues } from './field-issues.js';

/** An error as the contract states it: the status, the `{ code, message, issues? }` body, and Retry-After. */
export interface ContractError {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

const KNOWN = new Set(Object.keys(HTTP_STATUS));

/** Fastify's own errors (body parser, limits) by their error code. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BAD_REQUEST', message: 'Body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_REQUEST', message: 'Malformed JSON body' },
  FST_ERR_BAD_URL: { code: 'BAD_REQUEST', message: 'Malformed percent-encoding in the path' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'BAD_REQUEST', message: 'A path parameter is too long' },
};

/** Statuses Node's HTTP parser answers on its own (before Fastify routes), in the contract's words. */
export const CLIENT_ERRORS: Record<number, { code: ErrorCode; message: string }> = {
  400: { code: 'BAD_REQUEST', message: 'Malformed HTTP request' },
  408: { code: 'BAD_REQUEST', message: 'The request took too long to arrive' },
  413: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than the limit' },
  431: { code: 'BAD_REQUEST', message: 'Request headers are too large' },
};

/**
 * THE error mapping: any thrown value → the contract's `{ code, message, issues? }`, its status
 * and Retry-After. Both wires call it (REST's error handler, tRPC's error formatter and response
 * meta, the fast lane). Unknown errors become a bare 500: no message, stack, SQL or secret of
 * theirs reaches the client.
 */
export function toContractError(err: unknown): ContractError {
  if (err instanceof TRPCError) {
    const cause = err.cause as (Error & { issues?: ZodError['issues'] }) | undefined;
    if (cause instanceof DomainError) return fromCode(cause.code, cause.message, cause.retryAfterSeconds, cause.issues);
    if (err.code === 'BAD_REQUEST' && cause?.name === 'ZodError' && cause.issues) {
      return { status: 400, body: { code: 'BAD_REQUEST', message: 'Input validation failed', issues: toFieldIssues(cause.issues) } };
    }
    if (err.code === 'PARSE_ERROR') return fromCode('BAD_REQUEST', 'Malformed request');
    if (KNOWN.has(err.code) && err.code !== 'INTERNAL_SERVER_ERROR') return fromCode(err.code as ErrorCode, err.message);
    return internal();
  }
  if (err instanceof DomainError) return fromCode(err.code, err.message, err.retryAfterSeconds, err.issues);
  const e = err as { code?: string; statusCode?: number; name?: string } | null;
  const known = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return fromCode(known.code, known.message);
  if (e?.name === 'SyntaxError' && e.statusCode === 400) return fromCode('BAD_REQUEST', 'Malformed JSON body');
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const status = e.statusCode;
    const code = (Object.entries(HTTP_STATUS).find(([, s]) => s === status)?.[0] ?? 'BAD_REQUEST') as ErrorCode;
    return { status: HTTP_STATUS[code], body: { code, message: 'Bad request' } };
  }
  return internal();
}

function fromCode(code: ErrorCode, message: string, retryAfterSeconds?: number, issues?: { path: string; message: string }[]): ContractError {
  return { status: HTTP_STATUS[code], body: { code, message, ...(issues ? { issues } : {}) }, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) };
}

function internal(): ContractError {
  return { status: 500, body: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error; quote the x-request-id header when reporting it' } };
}
