import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { z } from 'zod';
import { ErrorBodySchema } from '../client-sdk/src/schemas/common.js';
import { appRouter } from './trpc/root.js';

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
  413: 'Body over the size limit',
  415: 'Body not sent as application/json',
  500: 'Unexpected failure; the x-request-id header ties it to the log',
};

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

  for (const item of Object.values(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      const statuses = Object.keys(op.responses).map(Number);
      // Every operation can fail these ways, whatever errorResponses its meta listed.
      if (op.parameters?.length || op.requestBody) statuses.push(400);
      if (op.security?.length) statuses.push(401, 403);
      if (method === 'post' || method === 'patch' || method === 'put') statuses.push(413, 415);
      statuses.push(500);
      for (const status of [...new Set(statuses)].sort((a, b) => a - b)) {
        if (status < 400) {
          op.responses[status]!.headers = requestIdHeader();
          continue;
        }
        op.responses[status] = {
          description: DESCRIPTIONS[status] ?? op.responses[status]?.description ?? `${status}`,
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
