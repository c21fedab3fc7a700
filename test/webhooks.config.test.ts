import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';
import { parseRetryAfter } from '../server/webhooks/http-sender.js';
import { nextAttemptDelayMs } from '../server/webhooks/retry-schedule.js';

describe('webhook settings', () => {
  it('defaults to the documented schedule, 15 s timeout, 60 s lease, private networks refused', () => {
    expect(loadConfig({}).webhooks).toEqual({
      retryDelaysSeconds: [5, 300, 1800, 7200, 18000, 36000, 36000],
      allowPrivateNetworks: false,
      timeoutMs: 15_000,
      leaseMs: 60_000,
    });
    const tuned = loadConfig({
      WEBHOOK_RETRY_DELAYS: ' 0.5, 2,10 ',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_TIMEOUT_SECONDS: '2',
      WEBHOOK_LEASE_SECONDS: '7',
    });
    expect(tuned.webhooks).toEqual({ retryDelaysSeconds: [0.5, 2, 10], allowPrivateNetworks: true, timeoutMs: 2000, leaseMs: 7000 });
  });

  it.each([
    ['WEBHOOK_RETRY_DELAYS', '5,,300'],
    ['WEBHOOK_RETRY_DELAYS', '5 minutes'],
    ['WEBHOOK_RETRY_DELAYS', '-5'],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'sometimes'],
    ['WEBHOOK_TIMEOUT_SECONDS', '0'],
    ['WEBHOOK_TIMEOUT_SECONDS', '61'],
    ['WEBHOOK_LEASE_SECONDS', '10'],
  ])('refuses %s=%s naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});

describe('the retry schedule', () => {
  const delays = [5, 300];
  it('follows the nth failure with the nth delay, ±20 %, and gives up after the last', () => {
    expect(nextAttemptDelayMs(1, delays, null, () => 0)).toBe(4000);
    expect(nextAttemptDelayMs(1, delays, null, () => 0.5)).toBe(5000);
    expect(nextAttemptDelayMs(1, delays, null, () => 1)).toBe(6000);
    expect(nextAttemptDelayMs(2, delays, null, () => 0.5)).toBe(300_000);
    expect(nextAttemptDelayMs(3, delays, null, () => 0.5)).toBeNull();
  });

  it('takes a longer Retry-After, ignores a shorter one, and caps it at a day', () => {
    expect(nextAttemptDelayMs(1, delays, 60, () => 0.5)).toBe(60_000);
    expect(nextAttemptDelayMs(2, delays, 60, () => 0.5)).toBe(300_000);
    expect(nextAttemptDelayMs(1, delays, 10 * 86_400, () => 0.5)).toBe(86_400_000);
    // Past the schedule, Retry-After does not bring the delivery back.
    expect(nextAttemptDelayMs(3, delays, 60, () => 0.5)).toBeNull();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
