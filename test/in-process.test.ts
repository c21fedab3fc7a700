/**
 * Procedures called in-process (app.createCaller, tRPC's createCaller), without HTTP: the same
 * validation, access rules, idempotency and services as both wires, at the speed of a function
 * call. The wire itself is tested over real HTTP elsewhere.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppCaller } from '../server/app.js';
import { sqlQuery } from './helpers/database.js';
import { newCustomer, startServer, TEST_ADMIN, type TestServer } from './helpers/server.js';

let server: TestServer;
let admin: AppCaller;

beforeAll(async () => {
  server = await startServer();
  const { tokens } = await server.app.createCaller().auth.login(TEST_ADMIN);
  admin = server.app.createCaller({ authorization: `Bearer ${tokens.accessToken}` });
});
afterAll(() => server.close());

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof TRPCError ? err.code : String(err);
  }
};

const eventsOf = (customerId: string) =>
  sqlQuery<{ type: string; changed: string | string[] }>(server.app.config.database, 'select type, changed from events where customer_id = $1 order by id', [
    customerId,
  ]);
const names = (changed: string | string[]) => (typeof changed === 'string' ? (JSON.parse(changed) as string[]) : changed);

describe('in-process procedure calls', () => {
  it('refuses an anonymous caller and bad input before any handler runs', async () => {
    expect(await codeOf(server.app.createCaller().customers.list({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(admin.customers.create({ ...newCustomer(), firstName: '' }))).toBe('BAD_REQUEST');
  });

  it('records exactly the fields that changed, and nothing for a no-op update', async () => {
    const c = await admin.customers.create(newCustomer({ company: 'Acme' }));
    await admin.customers.update({ email: c.email, company: 'Acme' });
    await admin.customers.update({ email: c.email, company: 'Globex', metadata: { tier: 'gold' } });
    await admin.customers.update({ email: c.email, firstName: 'Renamed', version: 2 });
    expect(await codeOf(admin.customers.update({ email: c.email, lastName: 'Stale', version: 1 }))).toBe('CONFLICT');
    const events = await eventsOf(c.id);
    expect(events.map((e) => [e.type, names(e.changed)])).toEqual([
      ['customer.created', ['email', 'firstName', 'lastName', 'company']],
      ['customer.updated', ['company', 'metadata']],
      ['customer.updated', ['firstName']],
    ]);
    expect((await admin.customers.get({ email: c.email })).version).toBe(3);
  });

  it('an API key caller is held to its scopes', async () => {
    const { secret } = await admin.apiKeys.create({ name: 'in-process', scopes: ['customers:read'] });
    const key = server.app.createCaller({ authorization: `Bearer ${secret}` });
    expect((await key.customers.list({ limit: 1 })).items).toHaveLength(1);
    expect(await codeOf(key.customers.create(newCustomer()))).toBe('FORBIDDEN');
  });

  it('an Idempotency-Key replays in-process too', async () => {
    const keyed = server.app.createCaller({ authorization: await loginHeader(), idempotencyKey: `in-process-${Date.now()}` });
    const input = newCustomer();
    const first = await keyed.customers.create(input);
    expect(await keyed.customers.create(input)).toEqual(first);
    expect(await codeOf(keyed.customers.create(newCustomer()))).toBe('UNPROCESSABLE_CONTENT');
  });
});

async function loginHeader(): Promise<string> {
  const { tokens } = await server.app.createCaller().auth.login(TEST_ADMIN);
  return `Bearer ${tokens.accessToken}`;
}
