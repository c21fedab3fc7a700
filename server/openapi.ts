import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { z } from 'zod';
import { ErrorBodySchema } from '../client-sdk/src/schemas/common.js';
import { appRouter } from './trpc/root.js';
import type { ApiMeta } from './trpc/meta.js';

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const ERROR_EXAMPLES: Record<number, { code: string; message: string }> = {
  400: { code: 'BAD_REQUEST', message: 'Input validation failed' },
  401: { code: 'UNAUTHORIZED', message: 'Sign in first' },
  403: { code: 'FORBIDDEN', message: 'You may not do this' },
  404: { code: 'NOT_FOUND', message: 'No customer with email ada@example.com' },
  409: { code: 'CONFLICT', message: 'Stale version: you sent 1, the customer is at 2' },
  413: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than the limit' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json' },
  429: { code: 'TOO_MANY_REQUESTS', message: 'Too many attempts; retry later' },
  500: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' },
  503: { code: 'SERVICE_UNAVAILABLE', message: 'Busy; retry later' },
};
const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `issues` lists each bad field',
  401: 'Missing, invalid or expired access token, or a session that has ended',
  403: 'Signed in, but not allowed to do this',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body over the size limit',
  415: 'Body not sent as application/json',
  429: 'Too many requests; wait for Retry-After seconds',
  500: 'Unexpected failure; the x-request-id header ties it to the log',
};

/** Each operation's own error descriptions, from its procedure's meta (keyed "get /customers/{email}"). */
function declaredErrors(): Map<string, Record<number, string>> {
  const out = new Map<string, Record<number, string>>();
  for (const procedure of Object.values(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: ApiMeta } }>)) {
    const openapi = procedure._def.meta?.openapi;
    if (openapi) out.set(`${openapi.method.toLowerCase()} ${openapi.path}`, openapi.errorResponses ?? {});
  }
  return out;
}

type Operation = {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: unknown; headers?: unknown }>;
};

/**
 * The OpenAPI document, from the router's meta via trpc-to-openapi, then made to tell the truth
 * about this server: one shared Error schema (our `{ code, message, issues }`), the statuses the
 * HTTP layer adds (413, 415), the x-request-id header, and examples.
 */
export function buildOpenApiDocument(version: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Carly',
    description:
      'Customer records and the accounts that own them. Every operation is also a tRPC procedure at `/trpc` ' +
      '(superjson); the TypeScript SDK `@carly/client` wraps it. Timestamps are ISO 8601 strings here.',
    version,
    baseUrl: '/',
    tags: ['auth', 'customers'],
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The accessToken a login returns' },
    },
  });
  doc.tags = [
    { name: 'auth', description: 'Accounts and sessions: sign up, sign in, tokens, passwords' },
    { name: 'customers', description: 'Customer records; every route needs a bearer token' },
  ];
  doc.components ??= {};
  doc.components.schemas ??= {};
  const errorJson = z.toJSONSchema(ErrorBodySchema, { io: 'output' }) as { $defs?: Record<string, unknown> };
  doc.components.schemas.Error = errorJson.$defs?.Error as never;
  // trpc-to-openapi's per-code error schemas describe its own error body, not ours.
  for (const name of Object.keys(doc.components.schemas)) if (name.startsWith('error.')) delete doc.components.schemas[name];

  const declared = declaredErrors();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      const own = declared.get(`${method} ${path}`) ?? {};
      // Exactly the statuses this operation can answer: its declared ones, plus the ways every
      // operation of its kind can fail. (trpc-to-openapi's defaults list 404 everywhere, and
      // share one response object per code across operations, so they are rebuilt here.)
      const hasBody = method === 'post' || method === 'patch' || method === 'put';
      const statuses = [200, ...Object.keys(own).map(Number), 500];
      if (op.parameters?.length || hasBody) statuses.push(400);
      if (op.security?.length) statuses.push(401, 403);
      if (hasBody) statuses.push(413, 415);
      for (const code of Object.keys(op.responses).map(Number)) if (code >= 400 && !statuses.includes(code)) delete op.responses[code];
      for (const status of [...new Set(statuses)].sort((a, b) => a - b)) {
        if (status < 400) {
          op.responses[status]!.headers = requestIdHeader();
          continue;
        }
        op.responses[status] = {
          description: own[status] ?? DESCRIPTIONS[status] ?? `${status}`,
          headers: status === 429 || status === 503 ? { ...requestIdHeader(), 'Retry-After': retryAfterHeader() } : requestIdHeader(),
          content: { 'application/json': { schema: ERROR_REF, example: ERROR_EXAMPLES[status] ?? ERROR_EXAMPLES[500] } },
        };
      }
    }
  }
  return doc;
}

const requestIdHeader = () => ({
  'x-request-id': { description: 'Identifies this request in the server log', schema: { type: 'string' } },
});
const retryAfterHeader = () => ({ description: 'Seconds to wait before retrying', schema: { type: 'integer' } });
