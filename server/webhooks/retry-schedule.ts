/** A receiver's Retry-After is honoured up to a day; beyond that it is read as a day. */
const MAX_RETRY_AFTER_SECONDS = 86_400;
/** Each scheduled delay is spread by ±20 % so receivers that fail together are not retried together. */
const JITTER = 0.2;

/**
 * How long after failed attempt number `attempt` (1-based) the next one is due, in ms; null when
 * the schedule is spent and the delivery has failed for good. `delaysSeconds[n-1]` follows the
 * nth failure (WEBHOOK_RETRY_DELAYS). A `Retry-After` longer than the scheduled delay wins.
 */
export function nextAttemptDelayMs(
  attempt: number,
  delaysSeconds: readonly number[],
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): number | null {
  const scheduled = delaysSeconds[attempt - 1];
  if (scheduled === undefined) return null;
  const jittered = scheduled * 1000 * (1 - JITTER + 2 * JITTER * random());
  if (retryAfterSeconds === null) return Math.round(jittered);
  return Math.round(Math.max(jittered, Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000));
}
