import type { FastifyRequest } from 'fastify';

/** Query parameters that carry credentials: tRPC SSE `connectionParams` (a token), and `token` links. */
const SECRET_PARAMS = ['connectionParams', 'token'];

/** The URL with credential-carrying query parameters replaced, for logs. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of SECRET_PARAMS) {
    if (params.has(name)) {
      params.set(name, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** Fastify's request log entry, with the URL redacted (the default serializer logs it as sent). */
export const requestLogSerializer = (request: FastifyRequest) => ({
  method: request.method,
  url: redactUrl(request.url),
  host: request.host,
  remoteAddress: request.ip,
  remotePort: request.socket?.remotePort,
});
