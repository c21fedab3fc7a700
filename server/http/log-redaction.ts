import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * Query parameters whose values may be logged. Every other value — `token`, `access_token`,
 * `code`, `key`, a search `q` holding an email, a tRPC `input`, a cursor holding a sort key —
 * is replaced, so no token, secret or personal data in a URL reaches a log.
 */
const SAFE_PARAMS = new Set(['limit', 'sort', 'batch']);
const REDACTED = '[redacted]';

/**
 * Anything shaped like a secret, wherever it sits in a URL (path, a parameter's name, a valueless
 * parameter): an API key (`carly_sk_…`) and a JWT (three base64url parts, the first `eyJ`, i.e.
 * `{"`). `_` and `.` may arrive percent-encoded.
 */
const SECRET_SHAPES = [/carly(?:_|%5f)sk(?:_|%5f)[0-9a-z]*/gi, /eyJ[\w-]*(?:\.|%2e)[\w-]*(?:\.|%2e)[\w-]*/gi];

const withoutSecretShapes = (text: string) => SECRET_SHAPES.reduce((out, shape) => out.replace(shape, REDACTED), text);

/**
 * The URL with the value of every query parameter not known to be safe replaced, a parameter
 * with no value (`?carly_sk_…`, which a client may send by mistake) replaced whole unless its
 * name is a safe one, anything shaped like a key or a JWT replaced wherever it is, and the
 * fragment dropped.
 */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  if (cut < 0 || url[cut] === '#') return withoutSecretShapes(cut < 0 ? url : url.slice(0, cut));
  const query = url.slice(cut + 1).split('#')[0]!;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part === '' || SAFE_PARAMS.has(part) ? part : REDACTED;
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    return value === '' || SAFE_PARAMS.has(name) ? part : `${name}=${REDACTED}`;
  });
  return withoutSecretShapes(`${url.slice(0, cut)}?${parts.join('&')}`);
}

/**
 * The request as every log line that carries one writes it (`req`): method, the URL redacted as
 * above, the client's address (`TRUST_PROXY` applies). Fastify's default also wrote `host`,
 * `remotePort` and `version`, which no one read and which cost getters on every request.
 */
export function serializeRequest(request: FastifyRequest) {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
}

/**
 * Fastify's request logging, one line per request at `info`: `request completed` (or `request
 * errored`) when the answer is written, carrying what `incoming request` used to (method, the
 * redacted URL, the client's address) beside the status and `responseTime`. `incoming request`
 * is still written, at `debug`, for following a request that never completes; at `info` it costs
 * nothing. Halves the log's writes per request (a read paid ~40 µs for two lines, see
 * docs/performance.md "## read"). Fastify's other request lines (errors, 404s) are unchanged.
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
