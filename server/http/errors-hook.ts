import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toContractError } from '../contract-error.js';

/** Reads and discards what is left of a request body (bounded), so the client gets our answer. */
function drain(request: FastifyRequest, maxBytes: number, timeoutMs: number): Promise<void> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, timeoutMs);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('error', done);
    raw.resume();
  });
}

/** One place that turns every failure, and every unknown route, into the contract's error JSON. */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number) {
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toContractError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: mapped.body.code }, 'request refused');
    if (mapped.status === 413 || mapped.status === 415) {
      // Refused before the body is read (body-guard.ts): answering at once makes many clients see
      // a reset instead of the answer, so what they keep sending is read and discarded (bounded).
      await drain(request, bodyLimit * 64, 5_000);
      reply.header('connection', 'close');
    }
    if (mapped.retryAfterSeconds) reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.code(mapped.status).send(mapped.body);
  });

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
