import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './helpers/auth.js';
import { newCustomer, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let trpc: ReturnType<TestServer['trpc']>;
beforeAll(async () => {
  server = await startServer();
  trpc = server.trpc(await adminToken(server));
});
afterAll(() => server.close());

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCClientError) return err as TRPCClientError<any>;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('tRPC customers (superjson, batching)', () => {
  it('round-trips a customer with real Dates', async () => {
    const body = newCustomer({ metadata: { source: 'trpc' } });
    const created = await trpc.customers.create.mutate(body);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.updatedAt).toBeInstanceOf(Date);
    const got = await trpc.customers.get.query({ email: body.email.toUpperCase() });
    expect(got).toEqual(created);
    const updated = await trpc.customers.update.mutate({ email: body.email, company: 'T', version: 1 });
    expect(updated.version).toBe(2);
    expect(await trpc.customers.delete.mutate({ email: body.email })).toEqual({ deleted: true, email: body.email });
  });

  it('batches several calls into one HTTP request and answers each', async () => {
    const a = newCustomer();
    const b = newCustomer();
    const [ca, cb] = await Promise.all([trpc.customers.create.mutate(a), trpc.customers.create.mutate(b)]);
    const [ga, gb, missing] = await Promise.allSettled([
      trpc.customers.get.query({ email: ca.email }),
      trpc.customers.get.query({ email: cb.email }),
      trpc.customers.get.query({ email: 'missing@example.com' }),
    ]);
    expect(ga.status === 'fulfilled' && ga.value.email).toBe(a.email);
    expect(gb.status === 'fulfilled' && gb.value.email).toBe(b.email);
    expect(missing.status).toBe('rejected');
  });

  it('maps failures to tRPC codes with field issues and no stack', async () => {
    const bad = await failure(trpc.customers.create.mutate({ email: 'nope', firstName: '', lastName: 'x' } as never));
    expect(bad.data?.code).toBe('BAD_REQUEST');
    expect(bad.data?.httpStatus).toBe(400);
    expect(bad.data?.issues.map((i: { path: string }) => i.path).sort()).toEqual(['email', 'firstName']);
    expect(JSON.stringify(bad.shape)).not.toMatch(/stack|at .*\.ts/);

    const c = await trpc.customers.create.mutate(newCustomer());
    const dup = await failure(trpc.customers.create.mutate(newCustomer({ email: c.email })));
    expect(dup.data?.code).toBe('CONFLICT');
    const stale = await failure(trpc.customers.update.mutate({ email: c.email, firstName: 'X', version: 7 }));
    expect(stale.data?.code).toBe('CONFLICT');
    const missing = await failure(trpc.customers.get.query({ email: 'ghost@example.com' }));
    expect(missing.data?.code).toBe('NOT_FOUND');
    expect(missing.data?.httpStatus).toBe(404);
  });

  it('lists with the same pagination as REST', async () => {
    const page = await trpc.customers.list.query({ limit: 1, sort: 'email' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.createdAt).toBeInstanceOf(Date);
    expect(typeof page.nextCursor).toBe('string');
    const next = await trpc.customers.list.query({ limit: 1, sort: 'email', cursor: page.nextCursor! });
    expect(next.items[0]!.email > page.items[0]!.email).toBe(true);
  });
});
