import type { Operation, TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { toCarlyError } from './errors.js';
import type { AppRouter } from './router.js';

/** How the client retries calls that are safe to repeat. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** The first retry waits up to this long; each later one up to twice as long (default 250 ms). */
  baseDelayMs?: number;
  /** No backoff wait is longer than this (default 10 s). A server's Retry-After is honoured up to 60 s. */
  maxDelayMs?: number;
}

const RETRY_AFTER_CAP_MS = 60_000;

/**
 * How long to wait before retrying `op` after `err`, or null not to retry. A call is retried only
 * when repeating it is safe — a query, or a mutation carrying an Idempotency-Key (the server runs
 * it at most once) — and only after a failure a retry can cure: no answer at all (network error,
 * timeout), a 5xx, or a 429. Never after any other 4xx. Backoff is exponential with full jitter;
 * a Retry-After from the server is honoured.
 */
export function retryDelay(op: Operation, err: unknown, attempt: number, options: Required<RetryOptions>): number | null {
  if (attempt >= options.retries || op.signal?.aborted) return null;
  const safe = op.type === 'query' || (op.type === 'mutation' && typeof op.context.idempotencyKey === 'string');
  if (!safe) return null;
  const error = toCarlyError(err, op.path);
  const curable = error.status === 0 || error.status >= 500 || error.status === 429;
  if (!curable) return null;
  if (error.retryAfter !== undefined) return Math.min(error.retryAfter * 1000, RETRY_AFTER_CAP_MS);
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.random() * cap;
}

/** A tRPC link that re-sends an operation (the same operation: the same Idempotency-Key) per `retryDelay`. */
export function retryLink(options: Required<RetryOptions>): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let sub: Unsubscribable | undefined;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let closed = false;
        const attempt = (n: number) => {
          sub = next(op).subscribe({
            next: (value) => observer.next(value),
            error: (err) => {
              const delay = op.type === 'subscription' ? null : retryDelay(op, err, n, options);
              if (delay === null || closed) return observer.error(err);
              timer = setTimeout(() => attempt(n + 1), delay);
            },
            complete: () => observer.complete(),
          });
        };
        attempt(0);
        return () => {
          closed = true;
          clearTimeout(timer);
          sub?.unsubscribe();
        };
      });
}
