import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { TRPCError } from '@trpc/server';
import { toContractError } from '../contract-error.js';

/**
 * Records how a call failed, by the status the contract gives the error: a 5xx is the server's
 * fault (span status ERROR, `error.type`, and an `exception` event with the original error's
 * stack); a 4xx is the caller's (only attributes: the span stays unset, as OpenTelemetry's HTTP
 * server conventions ask).
 */
export function recordFailure(span: Span, err: unknown): void {
  const mapped = toContractError(err);
  span.setAttribute('rpc.status_code', mapped.body.code);
  span.setAttribute('carly.error.status', mapped.status);
  if (mapped.status < 500) return;
  const cause = err instanceof TRPCError && err.cause !== undefined ? err.cause : err;
  recordError(span, cause);
}

/** Status ERROR, `error.type`, and an `exception` event whose text holds no SQL parameter values. */
export function recordError(span: Span, err: unknown): void {
  const { name, message, stack } = safeException(err);
  span.setAttribute('error.type', name);
  span.recordException({ name, message, stack });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * knex prefixes a failed statement's error message with the statement, its parameter values
 * written in (`select … where email = 'ada@…' - no such table: customers`), and MikroORM and tRPC
 * copy that message up. Spans must not carry the values, so wherever a database error's message
 * appears (in the error, or in an error wrapping it), only the database's own words are kept.
 */
export function safeException(err: unknown): { name: string; message: string; stack: string } {
  const error = err instanceof Error ? err : new Error(String(err));
  let message = error.message;
  let stack = error.stack ?? `${error.name}: ${error.message}`;
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const separator = isDatabaseError(e) ? e.message.lastIndexOf(' - ') : -1;
    if (separator < 0) continue;
    const own = e.message.slice(separator + 3);
    message = message.split(e.message).join(own);
    stack = stack.split(e.message).join(own);
  }
  return { name: error.name || 'Error', message, stack };
}

/**
 * An error from a driver: node-postgres's (a five-character SQLSTATE in `code`, a `severity`),
 * better-sqlite3's (`SQLITE_…` codes), or MikroORM's wrapper of either (`sqlState`, `errno`).
 */
function isDatabaseError(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return 'sqlState' in e || 'severity' in e || (typeof code === 'string' && /^SQLITE_/.test(code));
}
