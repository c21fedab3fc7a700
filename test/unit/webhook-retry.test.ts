import { describe, expect, it } from 'vitest';
import { type AttemptResult, decide } from '../../server/webhooks/attempt-recorder.js';
import { nextAttemptDelayMs } from '../../server/webhooks/retry-schedule.js';

const DELAYS = [5, 300, 1800];
const low = () => 0;
const high = () => 1;
const middle = () => 0.5;

describe('nextAttemptDelayMs (the retry schedule)', () => {
  it('follows the nth failure with the nth delay, spread by ±20 %', () => {
    expect(nextAttemptDelayMs(1, DELAYS, null, middle)).toBe(5_000);
    expect(nextAttemptDelayMs(2, DELAYS, null, middle)).toBe(300_000);
    expect(nextAttemptDelayMs(3, DELAYS, null, middle)).toBe(1_800_000);
    expect(nextAttemptDelayMs(2, DELAYS, null, low)).toBe(240_000);
    expect(nextAttemptDelayMs(2, DELAYS, null, high)).toBe(360_000);
  });

  it('is spent (null) once every delay was used', () => {
    expect(nextAttemptDelayMs(4, DELAYS, null, middle)).toBeNull();
    expect(nextAttemptDelayMs(1, [], null, middle)).toBeNull();
  });

  it('lets a longer Retry-After win, capped at a day; a shorter one changes nothing', () => {
    expect(nextAttemptDelayMs(1, DELAYS, 60, middle)).toBe(60_000);
    expect(nextAttemptDelayMs(2, DELAYS, 10, middle)).toBe(300_000);
    expect(nextAttemptDelayMs(1, DELAYS, 10 * 86_400, middle)).toBe(86_400_000);
  });

  it('does not retry past the schedule because a receiver asked for it', () => {
    expect(nextAttemptDelayMs(4, DELAYS, 60, middle)).toBeNull();
  });
});

describe('decide (what an attempt means for its delivery and webhook)', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  const base = { webhookId: 'w', deliveryId: 'd', eventId: 'e', startedAt: now };
  const posted = (attempt: number, status: number, retryAfterSeconds: number | null = null): AttemptResult => ({
    ...base,
    attempt,
    kind: 'posted',
    outcome: { kind: 'response', status, retryAfterSeconds, durationMs: 12, headers: { 'content-type': 'text/plain' }, body: 'ok' },
  });
  const dueInMs = (d: ReturnType<typeof decide>) => (d.nextAttemptAt ? d.nextAttemptAt.getTime() - now.getTime() : null);

  it('a 2xx delivers and counts as the receiver healthy', () => {
    expect(decide(posted(1, 204), now, DELAYS)).toEqual({
      status: 'succeeded',
      responseStatus: 204,
      responseHeaders: '{"content-type":"text/plain"}',
      responseBody: 'ok',
      load: { kind: 'fine' },
      durationMs: 12,
      error: null,
      state: 'succeeded',
      nextAttemptAt: null,
      health: 'success',
      outcome: 'delivered',
    });
  });

  it('a 5xx with retries left stays pending, due after the scheduled delay (within the jitter)', () => {
    const d = decide(posted(1, 503), now, DELAYS);
    expect(d).toMatchObject({ status: 'retrying', responseStatus: 503, error: 'HTTP 503', state: 'pending', health: 'failure', outcome: 'retrying' });
    expect(dueInMs(d)).toBeGreaterThanOrEqual(4_000);
    expect(dueInMs(d)).toBeLessThanOrEqual(6_000);
  });

  it('honours a longer Retry-After', () => {
    expect(dueInMs(decide(posted(1, 429, 120), now, DELAYS))).toBe(120_000);
  });

  it('the last failure gives up: failed, nothing scheduled', () => {
    expect(decide(posted(4, 500), now, DELAYS)).toMatchObject({ status: 'failed', state: 'failed', nextAttemptAt: null, health: 'failure', outcome: 'failed' });
  });

  it('a redirect is a failure that names why', () => {
    expect(decide(posted(1, 302), now, DELAYS).error).toBe('HTTP 302 (redirects are not followed)');
  });

  it('a 410 gives up at once and marks the receiver gone', () => {
    expect(decide(posted(1, 410), now, DELAYS)).toMatchObject({ state: 'failed', nextAttemptAt: null, health: 'gone', outcome: 'failed' });
  });

  it('a network error is retried like a 5xx, with the error as the reason', () => {
    const d = decide({ ...base, attempt: 2, kind: 'posted', outcome: { kind: 'error', error: 'ECONNREFUSED', durationMs: 3, timedOut: false } }, now, DELAYS);
    expect(d).toMatchObject({ status: 'retrying', responseStatus: null, error: 'ECONNREFUSED', state: 'pending', health: 'failure', outcome: 'retrying' });
    expect(dueInMs(d)).toBeGreaterThanOrEqual(240_000);
    expect(dueInMs(d)).toBeLessThanOrEqual(360_000);
  });

  it('our own shutdown is no verdict on the receiver: due again now', () => {
    const d = decide({ ...base, attempt: 1, kind: 'posted', outcome: { kind: 'aborted', durationMs: 5 } }, now, DELAYS);
    expect(d).toMatchObject({ state: 'pending', nextAttemptAt: now, health: null, outcome: 'interrupted' });
  });

  it('an interrupted attempt leaves the delivery pending for the lease to expire, health untouched', () => {
    expect(decide({ ...base, attempt: 1, kind: 'interrupted' }, now, DELAYS)).toMatchObject({
      state: 'pending',
      nextAttemptAt: null,
      health: null,
      outcome: 'interrupted',
    });
  });

  it('an event gone from the log fails the delivery for good without blaming the receiver', () => {
    expect(decide({ ...base, attempt: 1, kind: 'eventMissing' }, now, DELAYS)).toMatchObject({
      state: 'failed',
      nextAttemptAt: null,
      health: null,
      outcome: 'failed',
    });
  });
});
