import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import type { AnyRouter } from '@trpc/server/unstable-core-do-not-import';
import { DomainError } from '../errors.js';
import { trpcFastLane } from './trpc-fast-lane.js';
import type { Context } from '../trpc/context.js';

/**
 * tRPC's own fastify adapter at /trpc: superjson, batching, the same context as REST.
 * With `fastLane`, single unbatched GET queries are answered by trpc-fast-lane.ts first.
 */
export async function registerTrpc(
  app: FastifyInstance,
  router: AnyRouter,
  createContext: (request: FastifyRequest) => Context,
  fastLane = true,
  maxBodySize?: number,
) {
  await app.register(async (scope) => {
    if (fastLane) {
      const handle = trpcFastLane(router, createContext);
      scope.addHook('onRequest', async (request, reply) => {
        if (await handle(request, reply)) return reply;
      });
    }
    await scope.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router,
      // A second bound behind body-guard.ts, which refuses the bodies this adapter would stream in.
      maxBodySize,
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
  });
}
