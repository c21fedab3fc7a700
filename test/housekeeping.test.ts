import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../server/ops/housekeeping.js';
import { bearer, login, signupCustomer } from './helpers/auth.js';
import { TestClock } from './helpers/clock.js';
import { rest, startServer, type TestServer } from './helpers/server.js';

const DAY = 86_400_000;
let server: TestServer;
const clock = new TestClock();
beforeAll(async () => {
  server = await startServer({ SESSION_TTL_DAYS: '30' }, { clock });
});
afterAll(() => server.close());

const count = async (table: string) => {
  const rows = (await server.app.orm.em.getConnection().execute(`select count(*) as n from ${table}`)) as { n: unknown }[];
  return Number(rows[0]!.n);
};

describe('housekeeping', () => {
  it('drops old throttle events and long-ended sessions, and keeps what rules still read', async () => {
    // A record claimed at signup: its verification token (24 hours) is kept, then dropped a week after it expired.
    const record = { email: `kept.${Date.now()}@example.com`, firstName: 'Kept', lastName: 'Record' };
    expect(
      (await rest(server.url, 'POST', '/customers', record, bearer((await login(server, 'admin@test.local', 'admin-test-password-7Q')).accessToken))).status,
    ).toBe(200);
    expect((await rest(server.url, 'POST', '/auth/signup', { ...record, password: 'Claiming-sturdy-pass-1' })).status).toBe(200);
    expect(await count('email_verification_tokens')).toBe(1);

    const user = await signupCustomer(server);
    const ended = await login(server, user.email, user.password);
    expect((await rest(server.url, 'POST', '/auth/logout', undefined, bearer(ended.accessToken))).status).toBe(200);
    expect((await rest(server.url, 'POST', '/auth/login', { email: user.email, password: 'wrong password!' })).status).toBe(401);
    expect(await count('throttle_events')).toBeGreaterThan(0);
    const sessionsBefore = await count('sessions');

    expect(await housekeeping(server.app.orm, clock)).toEqual({
      throttleEvents: 0,
      sessions: 0,
      resetTokens: 0,
      idempotencyRecords: 0,
      events: 0,
      verificationTokens: 0,
      webhookDeliveries: 0,
      auditEntries: 0,
    });

    clock.advance(8 * DAY);
    const deleted = await housekeeping(server.app.orm, clock);
    expect(deleted.throttleEvents).toBeGreaterThan(0);
    expect(deleted.sessions).toBe(1);
    expect(deleted.verificationTokens).toBe(1);
    expect(await count('email_verification_tokens')).toBe(0);
    expect(await count('sessions')).toBe(sessionsBefore - 1);
    // The signup session is still live (30-day sessions) and still works after a refresh.
    expect((await rest(server.url, 'POST', '/auth/refresh', { refreshToken: user.tokens.refreshToken })).status).toBe(200);
  });
});
