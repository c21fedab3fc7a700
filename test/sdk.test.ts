/**
 * The SDK (client-sdk/src) against a live server: the facade, tokens and refresh, CarlyError,
 * the raw tRPC proxy, and the generated procedure list. The packed package is tested in
 * sdk-package.test.ts.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CarlyClient,
  CarlyError,
  type Customer,
  CustomerCreateInput,
  createCarlyClient,
  isCarlyError,
  PROCEDURES,
  queryError,
  type Tokens,
  toCarlyError,
} from '../client-sdk/src/index.js';
import { PROCEDURES_FILE, renderProcedureMap } from '../scripts/sdk/procedures.js';
import { appRouter } from '../server/trpc/root.js';
import { TestClock } from './helpers/clock.js';
import { resetToken, waitForMail } from './helpers/outbox.js';
import { newCustomer, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
const clock = new TestClock();
const ACCESS_TTL = 60;

beforeAll(async () => {
  server = await startServer({ ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL) }, { clock });
});
afterAll(() => server.close());

/** A fetch that records the tRPC procedures each HTTP request carried. */
function recordingFetch() {
  const requests: string[][] = [];
  const fetchImpl = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    requests.push(url.pathname.replace(/^\/trpc\//, '').split(','));
    return fetch(input, init);
  };
  return { requests, fetch: fetchImpl, count: (path: string) => requests.filter((r) => r.includes(path)).length };
}

async function adminClient(extra: Partial<Parameters<typeof createCarlyClient>[0]> = {}): Promise<CarlyClient> {
  const carly = createCarlyClient({ url: server.url, ...extra });
  await carly.auth.login({ email: TEST_ADMIN.email, password: TEST_ADMIN.password });
  return carly;
}

async function rejection(promise: Promise<unknown>): Promise<CarlyError> {
  try {
    await promise;
  } catch (err) {
    expect(isCarlyError(err), String(err)).toBe(true);
    expect(err).toBeInstanceOf(CarlyError);
    return err as CarlyError;
  }
  throw new Error('expected the call to fail');
}

describe('customers through the SDK', () => {
  it('login keeps the tokens; create, get, update, list, iterate, delete', async () => {
    const seen: (Tokens | null)[] = [];
    const carly = createCarlyClient({ url: `${server.url}/`, onTokens: (t) => void seen.push(t) });
    expect(carly.tokens).toBeNull();
    const { user, tokens } = await carly.auth.login({ email: TEST_ADMIN.email, password: TEST_ADMIN.password });
    expect(user.role).toBe('admin');
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(carly.tokens).toEqual({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
    expect(seen).toEqual([tokens]);

    const input = newCustomer({ metadata: { plan: 'pro' } });
    const created: Customer = await carly.customers.create(input);
    expect(created).toMatchObject({ email: input.email, firstName: 'Test', phone: null, metadata: { plan: 'pro' }, version: 1 });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.updatedAt).toBeInstanceOf(Date);

    const got = await carly.customers.get({ email: input.email.toUpperCase() });
    expect(got).toEqual(created);

    const updated = await carly.customers.update({ email: input.email, company: 'Analytical Engines', version: created.version });
    expect(updated.company).toBe('Analytical Engines');
    expect(updated.version).toBe(2);

    const stale = await rejection(carly.customers.update({ email: input.email, firstName: 'Late', version: created.version }));
    expect(stale).toMatchObject({ code: 'CONFLICT', status: 409, procedure: 'customers.update' });
    expect(stale.message).toMatch(/version/i);
    expect(stale.requestId).toMatch(/^\S+$/);
    expect((await carly.customers.get({ email: input.email })).firstName).toBe('Test');

    const page = await carly.customers.list({ limit: 5, q: input.email });
    expect(page.items.map((c) => c.email)).toEqual([input.email]);
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]!.createdAt).toBeInstanceOf(Date);
    // The input of list may be left out: the server's defaults apply (limit 50, newest first).
    expect((await carly.customers.list()).items[0]!.email).toBe(input.email);

    const deleted = await carly.customers.delete({ email: input.email });
    expect(deleted).toEqual({ deleted: true, email: input.email });
    const gone = await rejection(carly.customers.get({ email: input.email }));
    expect(gone).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('search: one page typed, searchAll walks every page in order; a malformed query is a CarlyError with the position', async () => {
    const recorder = recordingFetch();
    const carly = await adminClient({ fetch: recorder.fetch });
    const tag = `srch${Date.now()}`;
    for (let i = 0; i < 5; i++) await carly.customers.create(newCustomer({ email: `${tag}.${i}@example.com`, lastName: `Quixotic${i}` }));
    const page = await carly.customers.search({ query: `email~${tag}`, limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.items[0]!.createdAt).toBeInstanceOf(Date);
    expect(page.nextCursor).toEqual(expect.any(String));
    const before = recorder.count('customers.search');
    const walked: string[] = [];
    for await (const c of carly.customers.searchAll({ query: `email~${tag}`, q: 'quixotic', limit: 2 })) walked.push(c.email);
    expect(walked).toEqual([4, 3, 2, 1, 0].map((i) => `${tag}.${i}@example.com`));
    expect(recorder.count('customers.search') - before).toBe(3);
    expect(queryError('name~')?.message).toBe('position 6: expected a value after "~"');
    const err = await carly.customers.search({ query: 'name~' }).catch((e: unknown) => e);
    expect(isCarlyError(err) && err.status).toBe(400);
    expect(isCarlyError(err) && err.issues).toEqual([{ path: 'query', message: 'position 6: expected a value after "~"' }]);
  });

  it('iterate walks every page, each customer once', async () => {
    const recorder = recordingFetch();
    const carly = await adminClient({ fetch: recorder.fetch });
    const tag = `iter${Date.now()}`;
    const emails = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const c = await carly.customers.create(newCustomer({ email: `${tag}.${i}@example.com` }));
      emails.add(c.email);
    }
    const before = recorder.count('customers.list');
    const walked: string[] = [];
    for await (const c of carly.customers.iterate({ q: tag, limit: 3, sort: 'email' })) {
      expect(c.createdAt).toBeInstanceOf(Date);
      walked.push(c.email);
    }
    expect(walked).toEqual([...emails].sort());
    expect(recorder.count('customers.list') - before).toBe(3);
    // Breaking out early stops fetching pages.
    const firstTwo: string[] = [];
    for await (const c of carly.customers.iterate({ q: tag, limit: 2, sort: 'email' })) {
      firstTwo.push(c.email);
      if (firstTwo.length === 2) break;
    }
    expect(firstTwo).toEqual(walked.slice(0, 2));
  });

  it('invalid input: BAD_REQUEST with one issue per bad field, the same rules as the exported schema', async () => {
    const carly = await adminClient();
    const bad = { email: 'not-an-email', firstName: ' ', lastName: 'X', address: { line1: 'a', city: 'b', country: 'XX' } };
    const local = CustomerCreateInput.safeParse(bad);
    expect(local.success).toBe(false);
    const err = await rejection(carly.customers.create(bad));
    expect(err).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    expect(err.issues.map((i) => i.path).sort()).toEqual(['address.country', 'email', 'firstName']);
    expect(err.issueFor('address.country')).toMatch(/ISO 3166/);
    const localPaths = local.error!.issues.map((i) => i.path.join('.')).sort();
    expect(localPaths).toEqual(['address.country', 'email', 'firstName']);
  });

  it('a customer may read and update only their own record (FORBIDDEN otherwise)', async () => {
    const carly = createCarlyClient({ url: server.url });
    const email = `self${Date.now()}@example.com`;
    const signup = await carly.auth.signup({ email, password: 'Sturdy-self-pass-1', firstName: 'Self', lastName: 'Made' });
    expect(signup.customer!.createdAt).toBeInstanceOf(Date);
    expect(carly.tokens?.accessToken).toBe(signup.tokens.accessToken);
    expect((await carly.customers.update({ email, lastName: 'Changed' })).lastName).toBe('Changed');
    const other = await rejection(carly.customers.get({ email: TEST_ADMIN.email }));
    expect(other).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const list = await rejection(carly.customers.list());
    expect(list.code).toBe('FORBIDDEN');
  });
});

describe('every auth procedure through the SDK', () => {
  it('signup, me, sessions, changePassword, revokeSession, refresh, logout', async () => {
    const seen: (Tokens | null)[] = [];
    const carly = createCarlyClient({ url: server.url, onTokens: (t) => void seen.push(t) });
    const email = `auth${Date.now()}@example.com`;
    const signup = await carly.auth.signup({ email, password: 'Sturdy-auth-pass-1', firstName: 'Au', lastName: 'Th', phone: '+44 20 7946 0958' });
    expect(signup.user).toMatchObject({ email, role: 'customer' });
    expect(seen).toHaveLength(1);

    const me = await carly.auth.me();
    expect(me.user.email).toBe(email);
    expect(me.customer?.phone).toBe('+44 20 7946 0958');
    expect(me.customer?.updatedAt).toBeInstanceOf(Date);

    // A second session of the same account.
    const other = createCarlyClient({ url: server.url });
    await other.auth.login({ email, password: 'Sturdy-auth-pass-1' });
    const sessions = await carly.auth.sessions();
    expect(sessions.items).toHaveLength(2);
    expect(sessions.items.filter((s) => s.current)).toHaveLength(1);
    expect(sessions.items[0]!.lastUsedAt).toBeInstanceOf(Date);
    const otherSession = sessions.items.find((s) => !s.current)!;
    expect(await carly.auth.revokeSession({ id: otherSession.id })).toEqual({ ok: true });
    // The revoked session can neither call nor refresh: UNAUTHORIZED, and its tokens are dropped.
    const revoked = await rejection(other.auth.me());
    expect(revoked).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(other.tokens).toBeNull();

    const refreshed = await carly.auth.refresh({ refreshToken: carly.tokens!.refreshToken });
    expect(carly.tokens).toEqual({ accessToken: refreshed.tokens.accessToken, refreshToken: refreshed.tokens.refreshToken });
    expect(seen.at(-1)).toEqual(refreshed.tokens);

    expect(await carly.auth.changePassword({ currentPassword: 'Sturdy-auth-pass-1', newPassword: 'Sturdy-auth-pass-2' })).toEqual({ ok: true });
    const wrongOld = await rejection(carly.auth.changePassword({ currentPassword: 'nope-nope-nope', newPassword: 'Sturdy-auth-pass-3' }));
    expect(wrongOld.status).toBeGreaterThanOrEqual(400);

    expect(await carly.auth.logout()).toEqual({ ok: true });
    expect(carly.tokens).toBeNull();
    expect(seen.at(-1)).toBeNull();
    const signedOut = await rejection(carly.auth.me());
    expect(signedOut).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });

    const wrong = await rejection(carly.auth.login({ email, password: 'Sturdy-auth-pass-1' }));
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    await carly.auth.login({ email, password: 'Sturdy-auth-pass-2' });
    expect((await carly.auth.me()).user.email).toBe(email);
  });

  it('requestPasswordReset and resetPassword', async () => {
    const carly = createCarlyClient({ url: server.url });
    const email = `reset${Date.now()}@example.com`;
    await carly.auth.signup({ email, password: 'Sturdy-reset-pass-1', firstName: 'Re', lastName: 'Set' });
    const answer = await carly.auth.requestPasswordReset({ email });
    expect(answer.ok).toBe(true);
    const token = resetToken(await waitForMail(server.dataDir, email));
    expect(await carly.auth.resetPassword({ token, newPassword: 'Sturdy-reset-pass-2' })).toEqual({ ok: true });
    const again = await rejection(carly.auth.resetPassword({ token, newPassword: 'Sturdy-reset-pass-3' }));
    expect(again.code).toBe('BAD_REQUEST');
    await carly.auth.login({ email, password: 'Sturdy-reset-pass-2' });
  });
});

describe('tokens', () => {
  it('an expired access token is refreshed once for many calls failing together, then they are retried', async () => {
    for (const batch of [true, false]) {
      const recorder = recordingFetch();
      const seen: (Tokens | null)[] = [];
      const carly = await adminClient({ fetch: recorder.fetch, batch, onTokens: (t) => void seen.push(t) });
      const emails = await Promise.all([1, 2, 3].map(async () => (await carly.customers.create(newCustomer())).email));
      const before = carly.tokens!;
      clock.advance((ACCESS_TTL + 5) * 1000);
      const got = await Promise.all([...emails.map((email) => carly.customers.get({ email })), carly.auth.me()]);
      expect(got.map((c) => ('email' in c ? c.email : c.user.email))).toEqual([...emails, TEST_ADMIN.email]);
      expect(recorder.count('auth.refresh'), `batch: ${batch}`).toBe(1);
      expect(carly.tokens!.accessToken).not.toBe(before.accessToken);
      expect(carly.tokens!.refreshToken).not.toBe(before.refreshToken);
      expect(seen.at(-1)?.accessToken).toBe(carly.tokens!.accessToken);
    }
  });

  it('a failed refresh surfaces as CarlyError UNAUTHORIZED and drops the tokens', async () => {
    const seen: (Tokens | null)[] = [];
    const carly = createCarlyClient({
      url: server.url,
      tokens: { accessToken: 'not-a-jwt', refreshToken: 'not-a-refresh-token' },
      onTokens: (t) => void seen.push(t),
    });
    const err = await rejection(carly.customers.get({ email: TEST_ADMIN.email }));
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401, procedure: 'customers.get' });
    expect(carly.tokens).toBeNull();
    expect(seen).toEqual([null]);
  });

  it('persisted tokens can be handed back in; onTokens persists refreshed ones', async () => {
    let stored: Tokens | null = null;
    const first = await adminClient({ onTokens: (t) => void (stored = t) });
    expect(stored).not.toBeNull();
    const second = createCarlyClient({ url: server.url, tokens: first.tokens, onTokens: async (t) => void (stored = t) });
    expect((await second.auth.me()).user.role).toBe('admin');
    second.setTokens(null);
    expect((await rejection(second.auth.me())).code).toBe('UNAUTHORIZED');
  });

  it('the raw tRPC proxy shares the tokens and the refresh', async () => {
    const carly = await adminClient();
    const created = await carly.trpc.customers.create.mutate(newCustomer());
    expect(created.createdAt).toBeInstanceOf(Date);
    clock.advance((ACCESS_TTL + 5) * 1000);
    const got = await carly.trpc.customers.get.query({ email: created.email });
    expect(got.email).toBe(created.email);
    try {
      await carly.trpc.customers.get.query({ email: 'nobody@example.com' });
      expect.unreachable();
    } catch (err) {
      expect(toCarlyError(err)).toMatchObject({ code: 'NOT_FOUND', status: 404, procedure: 'customers.get' });
    }
  });
});

describe('errors', () => {
  it('no answer at all is NETWORK_ERROR with status 0', async () => {
    const carly = createCarlyClient({ url: 'http://127.0.0.1:9' });
    const err = await rejection(carly.auth.login({ email: 'a@example.com', password: 'whatever-pass' }));
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
  });

  it('TOO_MANY_REQUESTS carries retryAfter', async () => {
    const carly = createCarlyClient({ url: server.url });
    const email = `throttle${Date.now()}@example.com`;
    await carly.auth.signup({ email, password: 'Sturdy-throttle-pass-1', firstName: 'Th', lastName: 'Rottle' });
    let last: CarlyError | undefined;
    for (let i = 0; i < 11 && last?.code !== 'TOO_MANY_REQUESTS'; i++) last = await rejection(carly.auth.login({ email, password: 'wrong-password-x' }));
    expect(last).toMatchObject({ code: 'TOO_MANY_REQUESTS', status: 429 });
    expect(last!.retryAfter).toBeGreaterThan(0);
  });

  it('CarlyError carries code, status, message, issues; isCarlyError tells it apart', () => {
    const err = new CarlyError('Stale', { code: 'CONFLICT', status: 409 });
    expect(isCarlyError(err)).toBe(true);
    expect(isCarlyError(new Error('x'))).toBe(false);
    expect(isCarlyError({ code: 'CONFLICT' })).toBe(false);
    expect(err.issues).toEqual([]);
    expect(err.name).toBe('CarlyError');
  });
});

describe('the facade is derived from the router', () => {
  it('the generated procedure list is up to date (run `npm run generate` after changing the router)', () => {
    expect(fs.readFileSync(PROCEDURES_FILE, 'utf8')).toBe(renderProcedureMap(appRouter));
  });

  it('has one method for every query and mutation of the router', () => {
    const carly = createCarlyClient({ url: server.url }) as unknown as Record<string, Record<string, unknown>>;
    const procedures = Object.keys(appRouter._def.procedures);
    expect(Object.keys(PROCEDURES).sort()).toEqual([...procedures].sort());
    for (const path of procedures) {
      const [group, name] = path.split('.') as [string, string];
      expect(typeof carly[group]?.[name], path).toBe('function');
    }
    expect(typeof carly.customers?.iterate).toBe('function');
  });
});
