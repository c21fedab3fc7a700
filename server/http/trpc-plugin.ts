import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import type { AnyRouter } from '@trpc/server/unstable-core-do-not-import';
import { DomainError } from '../errors.js';
import type { Context } from '../trpc/context.js';

/** tRPC's own fastify adapter at /trpc: superjson, batching, the same context as REST. */
export async function registerTrpc(app: FastifyInstance, router: AnyRouter, createContext: (request: FastifyRequest) => Context) {
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router,
      createContext: ({ req }: { req: FastifyRequest }) => createContext(req),
      onError({ error, req }: { error: { code: string; cause?: unknown }; req: FastifyRequest }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error }, 'procedure failed');
      },
      responseMeta({ errors }: { errors: { cause?: unknown }[] }) {
        const retry = errors.map((e) => (e.cause instanceof DomainError ? e.cause.retryAfterSeconds : undefined)).find(Boolean);
        return retry ? { headers: { 'retry-after': String(retry) } } : {};
      },
    },
  });
}
