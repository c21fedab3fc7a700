import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';

/** One bad field of an invalid input: `path` is dotted (`address.country`). */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * The error codes a call can fail with: the server's tRPC codes (`BAD_REQUEST`, `UNAUTHORIZED`,
 * `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`, `PAYLOAD_TOO_LARGE`, `TOO_MANY_REQUESTS`, ...), or
 * `NETWORK_ERROR` when no answer came back at all (status 0).
 */
export type CarlyErrorCode = TRPC_ERROR_CODE_KEY | 'NETWORK_ERROR';

const BRAND = Symbol.for('@carly/client.CarlyError');

const STATUS_CODES: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  499: 'CLIENT_CLOSED_REQUEST',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

export interface CarlyErrorOptions {
  code: CarlyErrorCode;
  status: number;
  issues?: readonly FieldIssue[];
  procedure?: string;
  retryAfter?: number;
  requestId?: string;
  cause?: unknown;
}

/**
 * Every failed call of the SDK's methods throws a `CarlyError`: the server's `code` and HTTP
 * `status`, its `message`, and for invalid input one `issues` entry per bad field.
 */
export class CarlyError extends Error {
  override readonly name = 'CarlyError';
  /** The tRPC error code, e.g. `CONFLICT`; `NETWORK_ERROR` when the server was not reached. */
  readonly code: CarlyErrorCode;
  /** The HTTP status of the answer (409 for `CONFLICT`, ...); 0 when there was no answer. */
  readonly status: number;
  /** For invalid input (`BAD_REQUEST`): one entry per bad field; empty otherwise. */
  readonly issues: readonly FieldIssue[];
  /** The procedure that failed, e.g. `customers.update`. */
  readonly procedure: string | undefined;
  /** For `TOO_MANY_REQUESTS`: seconds to wait before retrying, when the server said. */
  readonly retryAfter: number | undefined;
  /** The server's `x-request-id` for this call, when known: quote it when reporting a 500. */
  readonly requestId: string | undefined;
  declare readonly [BRAND]: true;

  constructor(message: string, options: CarlyErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.issues = options.issues ?? [];
    this.procedure = options.procedure;
    this.retryAfter = options.retryAfter;
    this.requestId = options.requestId;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The message of the issue for this dotted field path, if any: handy for forms. */
  issueFor(path: string): string | undefined {
    return this.issues.find((i) => i.path === path)?.message;
  }
}

/**
 * Whether `err` is a `CarlyError`. Works across copies of the package (ESM and CJS builds,
 * several versions), where `instanceof` may not.
 */
export function isCarlyError(err: unknown): err is CarlyError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

interface ErrorData {
  code?: unknown;
  httpStatus?: unknown;
  path?: unknown;
  issues?: unknown;
  retryAfter?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** An error answer that was not the server's JSON (a proxy's or load balancer's page): its status and Retry-After. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly retryAfter: number | undefined;
  constructor(
    readonly status: number,
    retryAfterHeader: string | null,
  ) {
    super(`HTTP ${status}`);
    this.retryAfter = parseRetryAfter(retryAfterHeader);
  }
}

/** Retry-After in seconds: a number of seconds, or an HTTP date. */
function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function retryAfterHeaderOf(meta: unknown): number | undefined {
  const response = isRecord(meta) ? meta.response : undefined;
  const headers = isRecord(response) ? response.headers : undefined;
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    return parseRetryAfter((headers as { get(name: string): string | null }).get('retry-after'));
  }
  return undefined;
}

function requestIdOf(meta: unknown): string | undefined {
  const response = isRecord(meta) ? meta.response : undefined;
  const headers = isRecord(response) ? response.headers : undefined;
  if (headers && typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get('x-request-id') ?? undefined;
  }
  return undefined;
}

function statusOf(meta: unknown): number | undefined {
  const response = isRecord(meta) ? meta.response : undefined;
  return isRecord(response) && typeof response.status === 'number' ? response.status : undefined;
}

/**
 * Turns whatever a tRPC call threw (a `TRPCClientError`, a network failure, ...) into a
 * `CarlyError`. A `CarlyError` is returned as it is. Use it around `carly.trpc` calls.
 */
export function toCarlyError(err: unknown, procedure?: string): CarlyError {
  if (isCarlyError(err)) return err;
  const e = isRecord(err) ? err : {};
  const data: ErrorData = isRecord(e.data) ? e.data : {};
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const path = typeof data.path === 'string' ? data.path : procedure;
  const requestId = requestIdOf(e.meta);
  const issues = Array.isArray(data.issues)
    ? data.issues.filter(isRecord).map((i) => ({ path: String(i.path ?? ''), message: String(i.message ?? '') }))
    : undefined;
  const retryAfter = typeof data.retryAfter === 'number' ? data.retryAfter : retryAfterHeaderOf(e.meta);
  const base = { issues, procedure: path, retryAfter, requestId, cause: err };
  if (e.cause instanceof HttpStatusError) {
    const { status } = e.cause;
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
    return new CarlyError(`The server answered HTTP ${status}`, { ...base, retryAfter: e.cause.retryAfter, code, status });
  }

  if (typeof data.code === 'string') {
    const status = typeof data.httpStatus === 'number' ? data.httpStatus : (statusOf(e.meta) ?? 500);
    return new CarlyError(message, { ...base, code: data.code as CarlyErrorCode, status });
  }
  // No tRPC error body: either an HTTP answer that was not one (a proxy's 502, ...) or no answer.
  const status = statusOf(e.meta);
  if (status !== undefined && status >= 400) {
    return new CarlyError(message, { ...base, code: STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'), status });
  }
  return new CarlyError(message, { ...base, code: 'NETWORK_ERROR', status: 0 });
}
