import type { AnyProcedure } from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toContractError } from '../contract-error.js';
import type { Context } from '../trpc/context.js';
import { type AnyRouter, callProcedure, deserializeInput, errorBody, proceduresOf, procedureType, resultBody, toTRPCError } from '../trpc/internals.js';

type ContextFactory = (request: FastifyRequest) => Context;

/**
 * A fast lane for the commonest tRPC call: one unbatched query over GET (`/trpc/a.b?input=…`).
 *
 * Profiled, tRPC's fastify adapter spends ~200 µs per call building a Fetch `Request`, `Headers`
 * and an `AbortController` and resolving the response through web streams. This hook answers
 * such calls with tRPC's own pieces (trpc/internals.ts) and the same status and body; anything
 * else — batches, mutations, streaming accepts, unknown paths, unparsable input — falls through
 * to the official adapter. A test compares both lanes' answers byte for byte.
 */
export function trpcFastLane(router: AnyRouter, createContext: ContextFactory, prefix = '/trpc/') {
  const queries = new Map<string, AnyProcedure>();
  for (const [path, procedure] of Object.entries(proceduresOf(router))) {
    if (procedureType(procedure) === 'query') queries.set(path, procedure);
  }

  /** Returns true when it answered; false means "let the adapter handle it". */
  return async function handle(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (request.method !== 'GET' || request.headers['trpc-accept']) return false;
    const url = request.url;
    const q = url.indexOf('?');
    const path = url.slice(prefix.length, q < 0 ? undefined : q);
    const procedure = queries.get(path);
    if (!procedure) return false;
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    if (params.has('batch')) return false;
    let input: unknown;
    try {
      const raw = params.get('input');
      input = raw === null ? undefined : deserializeInput(router, JSON.parse(raw));
    } catch {
      return false; // the adapter words the parse error
    }
    const ctx = createContext(request);
    let status = 200;
    let body: unknown;
    try {
      body = resultBody(router, await callProcedure(procedure, { ctx, input, path }));
    } catch (cause) {
      const error = toTRPCError(cause);
      if (error.code === 'INTERNAL_SERVER_ERROR') request.log.error({ err: error.cause ?? error }, 'procedure failed');
      ({ status, body } = errorBody(router, error, { type: 'query', path, input, ctx }));
      const retry = toContractError(error).retryAfterSeconds;
      if (retry) reply.header('retry-after', String(retry));
    }
    await reply
      .code(status)
      .headers({ ...ctx.responseHeaders, vary: 'trpc-accept, accept', 'content-type': 'application/json' })
      .send(Buffer.from(JSON.stringify(body)));
    return true;
  };
}
