import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toContractError } from '../contract-error.js';
import type { Context } from '../trpc/context.js';
import type { AnyRouter } from '../trpc/internals.js';
import { trpcFastLane } from './trpc-fast-lane.js';
import { type SseLaneOptions, trpcSseLane } from './trpc-sse-lane.js';

/**
 * tRPC's own fastify adapter at /trpc: superjson, batching, the same context as REST.
 * With `fastLane`, single unbatched GET queries are answered by trpc-fast-lane.ts first.
 */
export async function registerTrpc(
  app: FastifyInstance,
  router: AnyRouter,
  createContext: (request: FastifyRequest, calls?: number, connectionParams?: Record<string, string | undefined> | null) => Context,
  fastLane = true,
  maxBodySize?: number,
  /** Subscriptions through trpc-sse-lane.ts (with these SSE options) instead of the adapter. */
  sseLane?: SseLaneOptions,
) {
  await app.register(async (scope) => {
    if (sseLane) {
      const handle = trpcSseLane(router, (req, calls, params) => createContext(req, calls, params), sseLane);
      scope.addHook('onRequest', async (request, reply) => {
        if (handle(request, reply)) return reply;
      });
    }
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
        // connectionParams (from the URL) only for subscriptions: the one kind of call a browser's
        // EventSource makes, which cannot send an Authorization header.
        createContext: ({
          req,
          info,
        }: {
          req: FastifyRequest;
          info: { calls: unknown[]; type: string; connectionParams: Record<string, string | undefined> | null };
        }) => createContext(req, info.calls.length, info.type === 'subscription' ? info.connectionParams : null),
        onError({ error, req }: { error: { code: string; cause?: unknown }; req: FastifyRequest }) {
          if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error }, 'procedure failed');
        },
        responseMeta({ ctx, errors, type }: { ctx?: Context; errors: unknown[]; type: string }) {
          const retry = errors.map((e) => toContractError(e).retryAfterSeconds).find(Boolean);
          const headers: Record<string, string> = { ...ctx?.responseHeaders };
          if (retry) headers['retry-after'] = String(retry);
          // 405 (a query sent as POST, a mutation as GET): say which method the procedure takes.
          if (errors.some((e) => toContractError(e).body.code === 'METHOD_NOT_SUPPORTED')) headers.allow = type === 'mutation' ? 'POST' : 'GET';
          // A stream's connection is not reused: when a stream ends (its maximum duration, a
          // shutdown) the socket closes with it, instead of idling until the keep-alive timeout
          // and holding up a graceful shutdown; the client reconnects on a new one anyway.
          if (type === 'subscription') headers.connection = 'close';
          return { headers };
        },
      },
    });
  });
}
