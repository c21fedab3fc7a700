import type { PostOutcome } from './http-sender.js';

/**
 * Slowing an endpoint down when it says it is overloaded. The rule (docs/webhooks.md):
 *
 * - a 429 with `Retry-After`: no attempt to that endpoint (any delivery) before Retry-After has
 *   passed (at most a day);
 * - a 429 without `Retry-After`, or an attempt that timed out: no attempt to it for a pause that
 *   starts at 5 s and doubles at each such answer in a row, up to 10 minutes;
 * - any 2xx ends the slow-down.
 *
 * The failed delivery's own retry follows the retry schedule as always, but never before the
 * pause ends; the endpoint's other deliveries wait for it too.
 */
export const FIRST_PAUSE_SECONDS = 5;
export const MAX_PAUSE_SECONDS = 600;
const MAX_RETRY_AFTER_SECONDS = 86_400;

/** What one attempt says about its receiver's load. */
export type LoadSignal =
  | { kind: 'fine' }
  /** It asked for this many seconds (a 429 with Retry-After). */
  | { kind: 'wait'; seconds: number }
  /** Overloaded, without saying for how long (a 429 without Retry-After, a timeout). */
  | { kind: 'overloaded' };

export function loadSignal(outcome: PostOutcome): LoadSignal | null {
  if (outcome.kind === 'error') return outcome.timedOut ? { kind: 'overloaded' } : null;
  if (outcome.kind !== 'response') return null;
  if (outcome.status >= 200 && outcome.status < 300) return { kind: 'fine' };
  if (outcome.status !== 429) return null;
  return outcome.retryAfterSeconds === null ? { kind: 'overloaded' } : { kind: 'wait', seconds: Math.min(outcome.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) };
}

/** An endpoint's slow-down state: the webhooks row's slow_until and slow_down_seconds. */
export interface SlowDown {
  until: Date | null;
  pauseSeconds: number | null;
}

/** The endpoint's slow-down after one more attempt's signal. */
export function slowDown(current: SlowDown, signal: LoadSignal, now: Date): SlowDown {
  if (signal.kind === 'fine') return { until: null, pauseSeconds: null };
  if (signal.kind === 'wait') return { until: new Date(now.getTime() + signal.seconds * 1000), pauseSeconds: current.pauseSeconds };
  const pauseSeconds = current.pauseSeconds === null ? FIRST_PAUSE_SECONDS : Math.min(current.pauseSeconds * 2, MAX_PAUSE_SECONDS);
  return { until: new Date(now.getTime() + pauseSeconds * 1000), pauseSeconds };
}
