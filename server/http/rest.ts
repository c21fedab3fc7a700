import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, DomainError } from '../errors.js';
import type { Context } from '../trpc/context.js';
import { type AnyRouter, callProcedure, procedureMeta, proceduresOf, takesInput } from '../trpc/internals.js';
import type { ApiMeta } from '../trpc/meta.js';

type ContextFactory = (request: FastifyRequest) => Context;

/**
 * REST on the procedures' OpenAPI paths, as Fastify routes.
 *
 * trpc-to-openapi's own fastify plugin builds a URL, an AbortSignal and a caller per request,
 * re-walks the input schema to coerce it, does not decode path parameters (#166) and clashes
 * with OPTIONS at basePath '/' (#88). This thin layer keeps trpc-to-openapi's meta and document
 * as the single description and lets Fastify route, decode and parse; the procedure itself
 * (validation, auth, idempotency, handler, output) runs exactly as on the tRPC wire.
 */
export function registerRestRoutes(app: FastifyInstance, router: AnyRouter, createContext: ContextFactory) {
  for (const [path, procedure] of Object.entries(proceduresOf(router))) {
    const openapi = procedureMeta<ApiMeta>(procedure)?.openapi;
    if (!openapi) continue;
    const withInput = takesInput(procedure);
    const usesBody = openapi.method === 'POST' || openapi.method === 'PATCH' || openapi.method === 'PUT';
    app.route({
      method: openapi.method,
      url: openapi.path.replace(/\{(\w+)\}/g, ':$1'),
      config: { operation: path },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const input = withInput ? readInput(request, usesBody) : undefined;
        const ctx = createContext(request);
        try {
          const data = await callProcedure(procedure, { ctx, input, path });
          return reply.code(200).headers(ctx.responseHeaders).send(data);
        } catch (err) {
          // Headers the procedure set (Idempotent-Replayed on a replayed error) go with the error too.
          reply.headers(ctx.responseHeaders);
          throw err;
        }
      },
    });
  }
}

/** Path parameters (already percent-decoded by Fastify) merged over the query or JSON body. */
function readInput(request: FastifyRequest, usesBody: boolean): Record<string, unknown> {
  const params = request.params as Record<string, string>;
  if (usesBody && request.body !== undefined && !isJson(request.headers['content-type'])) {
    // Fastify also parses text/plain; the contract speaks JSON only.
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  }
  let source: unknown = usesBody ? request.body : request.query;
  if (source === undefined || source === null) source = {};
  if (typeof source !== 'object' || Array.isArray(source)) throw badRequest('The request body must be a JSON object');
  for (const key of Object.keys(params)) {
    if (key in (source as object)) throw badRequest(`"${key}" comes from the path; do not send it in the ${usesBody ? 'body' : 'query'}`);
  }
  return { ...(source as Record<string, unknown>), ...params };
}

const isJson = (contentType: string | undefined) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType ?? '');
