import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  answerWithout,
  callProcedure,
  deserializeInput,
  errorBody,
  procedureMeta,
  proceduresOf,
  procedureType,
  resultBody,
  takesInput,
  toTRPCError,
} from '../server/trpc/internals.js';

/**
 * server/trpc/internals.ts is the one place that uses tRPC's unstable internals. Each piece is
 * exercised here on a tiny router, so a tRPC upgrade that changes one fails this file loudly,
 * before the REST layer, the fast lane or the idempotency middleware break in subtle ways.
 */
const t = initTRPC.meta<{ tag?: string }>().create({ transformer: superjson });
let resolverRuns = 0;
const router = t.router({
  math: t.router({
    double: t.procedure
      .meta({ tag: 'double' })
      .input(z.object({ n: z.number(), at: z.date().optional() }))
      .query(({ input }) => ({ n: input.n * 2, at: input.at ?? null })),
  }),
  fail: t.procedure.mutation(() => {
    throw new TRPCError({ code: 'CONFLICT', message: 'no' });
  }),
  cached: t.procedure
    .use(async ({ next, ctx }) => ((ctx as { hit?: boolean }).hit ? answerWithout<Awaited<ReturnType<typeof next>>>(42) : next()))
    .mutation(() => {
      resolverRuns++;
      return 7;
    }),
});

describe('tRPC internals used by Carly', () => {
  it('lists procedures by dotted path with their type, meta and input', () => {
    const procedures = proceduresOf(router);
    expect(Object.keys(procedures).sort()).toEqual(['cached', 'fail', 'math.double']);
    expect(procedureType(procedures['math.double']!)).toBe('query');
    expect(procedureType(procedures.fail!)).toBe('mutation');
    expect(procedureMeta<{ tag: string }>(procedures['math.double']!)).toEqual({ tag: 'double' });
    expect(takesInput(procedures['math.double']!)).toBe(true);
    expect(takesInput(procedures.fail!)).toBe(false);
  });

  it('calls a procedure directly, with input parsing and middlewares', async () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(await callProcedure(proceduresOf(router)['math.double']!, { ctx: {}, input: { n: 21, at }, path: 'math.double' })).toEqual({ n: 42, at });
    await expect(callProcedure(proceduresOf(router)['math.double']!, { ctx: {}, input: { n: 'x' }, path: 'math.double' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('builds the bodies and statuses the adapter sends', async () => {
    expect(resultBody(router, { at: new Date(0) })).toEqual({
      result: { data: { json: { at: '1970-01-01T00:00:00.000Z' }, meta: { values: { at: ['Date'] }, v: 1 } } },
    });
    const error = toTRPCError(await callProcedure(proceduresOf(router).fail!, { ctx: {}, input: undefined, path: 'fail' }).catch((e: unknown) => e));
    expect(error.code).toBe('CONFLICT');
    const { status, body } = errorBody(router, error, { type: 'mutation', path: 'fail', input: undefined, ctx: {} });
    expect(status).toBe(409);
    expect(body).toMatchObject({ error: { json: { message: 'no', data: { code: 'CONFLICT', httpStatus: 409, path: 'fail' } } } });
    expect(toTRPCError(new Error('boom')).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('reads superjson input off the wire', () => {
    expect(deserializeInput(router, superjson.serialize({ at: new Date(5) }))).toEqual({ at: new Date(5) });
  });

  it('lets a middleware answer without running the rest of the chain', async () => {
    const cached = proceduresOf(router).cached!;
    resolverRuns = 0;
    expect(await callProcedure(cached, { ctx: { hit: true }, input: undefined, path: 'cached' })).toBe(42);
    expect(resolverRuns).toBe(0);
    expect(await callProcedure(cached, { ctx: {}, input: undefined, path: 'cached' })).toBe(7);
    expect(resolverRuns).toBe(1);
  });
});
