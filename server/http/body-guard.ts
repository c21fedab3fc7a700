import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its own body as a stream, with its own size limit and media types (POST /customers/import). */
    streamedBody?: boolean;
  }
}

/**
 * Every request body on every route: JSON only, at most BODY_LIMIT_BYTES, decided from the
 * headers before a byte of the body is read.
 *
 * Fastify's own parsers already hold JSON to the limit, but tRPC's fastify adapter registers a
 * multipart/form-data parser that hands the raw stream on, and the adapter then read it whole
 * (the probe grew the process by 180 MiB with one 48 MiB body). No route here speaks anything but
 * JSON, so any other body is refused here with 415, and a declared length over the limit with 413;
 * the error handler drains what the client keeps sending (bounded) so that it receives the answer.
 */
export function registerBodyGuard(app: FastifyInstance, bodyLimit: number, bodyTimeoutMs: number) {
  // Node's requestTimeout would also cut off an import whose body takes minutes to stream (it
  // cannot be lifted for one route), so it is off, and the same deadline is kept here for every
  // other body: a client that has not sent its whole body in time loses the connection. Headers
  // keep Node's own deadline (headersTimeout).
  app.server.requestTimeout = 0;
  app.addHook('onRequest', async (request) => {
    const headers = request.headers;
    const length = headers['content-length'];
    const hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody || request.method === 'GET' || request.method === 'HEAD') return;
    if (request.routeOptions.config?.streamedBody) return;
    const raw = request.raw;
    // HTTP_REQUEST_TIMEOUT_MS=0 turns the deadline off, as it does Node's.
    if (bodyTimeoutMs > 0) {
      const timer = setTimeout(() => {
        if (!raw.complete) raw.socket.destroy();
      }, bodyTimeoutMs);
      timer.unref();
      raw.once('close', () => clearTimeout(timer));
      raw.once('end', () => clearTimeout(timer));
    }
    if (length !== undefined && Number(length) > bodyLimit) {
      throw new DomainError('PAYLOAD_TOO_LARGE', 'Request body is larger than the limit');
    }
    const mediaType = headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  });
}
