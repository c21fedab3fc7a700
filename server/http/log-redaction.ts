import type { FastifyRequest } from 'fastify';

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

/** Fastify's default request serializer, with the URL redacted. */
export function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    version: typeof request.headers['accept-version'] === 'string' ? request.headers['accept-version'] : undefined,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
