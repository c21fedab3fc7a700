import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { z } from 'zod';
import { ErrorBodySchema } from '../client-sdk/src/schemas/common.js';
import { addBulkPaths } from './openapi-bulk.js';
import { type Access, describeAccess } from './trpc/access.js';
import { procedureMeta, proceduresOf } from './trpc/internals.js';
import type { ApiMeta } from './trpc/meta.js';
import { appRouter } from './trpc/root.js';

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const ERROR_EXAMPLES: Record<number, { code: string; message: string }> = {
  400: { code: 'BAD_REQUEST', message: 'Input validation failed' },
  401: { code: 'UNAUTHORIZED', message: 'Sign in first' },
  403: { code: 'FORBIDDEN', message: 'You may not do this' },
  404: { code: 'NOT_FOUND', message: 'No customer with email ada@example.com' },
  409: { code: 'CONFLICT', message: 'Stale version: you sent 1, the customer is at 2' },
  412: { code: 'PRECONDITION_FAILED', message: 'This cursor is older than the event log keeps' },
  413: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than the limit' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json' },
  422: { code: 'UNPROCESSABLE_CONTENT', message: 'This Idempotency-Key was used with a different input; use a new key for each request' },
  429: { code: 'TOO_MANY_REQUESTS', message: 'Too many attempts; retry later' },
  431: { code: 'BAD_REQUEST', message: 'Request headers are too large' },
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
  422: 'The Idempotency-Key was used before with another input or operation',
  431: 'Request line or headers too large (answered before routing)',
  429: 'Too many requests; wait for Retry-After seconds',
  500: 'Unexpected failure; the x-request-id header ties it to the log',
};

/** Each operation's procedure meta (keyed "get /customers/{email}"). */
function metaByOperation(): Map<string, ApiMeta> {
  const out = new Map<string, ApiMeta>();
  for (const procedure of Object.values(proceduresOf(appRouter))) {
    const meta = procedureMeta<ApiMeta>(procedure);
    if (meta?.openapi) out.set(`${meta.openapi.method.toLowerCase()} ${meta.openapi.path}`, meta);
  }
  return out;
}

const IDEMPOTENCY_DESCRIPTION =
  'Makes a retry safe: 1-255 printable ASCII characters (a UUID is a good choice; the quoted form `"…"` is accepted), ' +
  'scoped to the caller. The first request runs; a retry with the same key and input within 24 hours gets the stored ' +
  'status and body with `Idempotent-Replayed: true`, and nothing runs again. Another input or operation with the key: 422. ' +
  'A retry while the first still runs: 409 with Retry-After. Answers given before the operation ran (400, 401, 403, 429) are not stored.';

/** The Idempotency-Key request header, on every mutation that takes it. */
const idempotencyKeyParameter = () => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: IDEMPOTENCY_DESCRIPTION,
  schema: { type: 'string', minLength: 1, maxLength: 257, example: '8e03978e-40d5-43e8-bc93-6894a57f9324' },
});

/** Who may call, as OpenAPI security requirements: JWT persons, and API keys with the operation's scope. */
function securityOf(access: Access): unknown[] | undefined {
  switch (access.level) {
    case 'public':
      return undefined;
    case 'person':
    case 'admin':
      return [{ bearerAuth: [] }];
    case 'staff':
    case 'self':
      return [{ bearerAuth: [] }, { apiKeyAuth: [access.scope] }];
  }
}

type Operation = {
  security?: unknown[];
  description?: string;
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
      apiKeyAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'carly_sk_…',
        description:
          'An API key (`carly_sk_` + 36 base62 characters), sent as `Authorization: Bearer carly_sk_…`. It acts as an admin ' +
          "limited to its scopes; each operation's security lists the scope it needs.",
      },
    },
  });
  doc.tags = [
    { name: 'auth', description: 'Accounts and sessions: sign up, sign in, tokens, passwords' },
    { name: 'customers', description: 'Customer records; every route needs a bearer token or an API key' },
    { name: 'api-keys', description: 'Credentials for machine callers (admins only)' },
  ];
  doc.components ??= {};
  doc.components.schemas ??= {};
  const errorJson = z.toJSONSchema(ErrorBodySchema, { io: 'output' }) as { $defs?: Record<string, unknown> };
  doc.components.schemas.Error = errorJson.$defs?.Error as never;
  // trpc-to-openapi's per-code error schemas describe its own error body, not ours.
  for (const name of Object.keys(doc.components.schemas)) if (name.startsWith('error.')) delete doc.components.schemas[name];

  const metas = metaByOperation();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      const meta = metas.get(`${method} ${path}`) ?? {};
      const own: Record<number, string> = { ...meta.openapi?.errorResponses };
      const access = meta.access ?? { level: 'public' };
      const security = securityOf(access);
      if (security) op.security = security;
      else delete op.security;
      op.description = [op.description, `**Who may call:** ${describeAccess(access)}`].filter(Boolean).join('\n\n');
      const mutation = method !== 'get';
      if (mutation && access.level !== 'public') {
        if (meta.returnsSecret) {
          op.description += '\n\nThis answer holds a secret, so an `Idempotency-Key` header is refused (400).';
        } else {
          op.parameters = [...(op.parameters ?? []), idempotencyKeyParameter()];
          own[409] ??= 'A request with this Idempotency-Key is still running (Retry-After), or a conflict';
          own[422] ??= DESCRIPTIONS[422]!;
        }
      }
      // Exactly the statuses this operation can answer: its declared ones, plus the ways every
      // operation of its kind can fail. (trpc-to-openapi's defaults list 404 everywhere, and
      // share one response object per code across operations, so they are rebuilt here.)
      const hasBody = method === 'post' || method === 'patch' || method === 'put';
      const statuses = [200, ...Object.keys(own).map(Number), 500];
      if (op.parameters?.length || hasBody) statuses.push(400);
      if (op.security?.length) statuses.push(401, 403);
      if (hasBody) statuses.push(413, 415);
      statuses.push(431);
      for (const code of Object.keys(op.responses).map(Number)) if (code >= 400 && !statuses.includes(code)) delete op.responses[code];
      for (const status of [...new Set(statuses)].sort((a, b) => a - b)) {
        const replayable = mutation && access.level !== 'public' && !meta.returnsSecret && (status < 400 || STORED_STATUSES.has(status));
        const headers = {
          ...requestIdHeader(),
          ...(status === 429 || status === 503 || (status === 409 && replayable) ? { 'Retry-After': retryAfterHeader() } : {}),
          ...(replayable ? { 'Idempotent-Replayed': replayedHeader() } : {}),
        };
        if (status < 400) {
          op.responses[status]!.headers = headers;
          continue;
        }
        op.responses[status] = {
          description: own[status] ?? DESCRIPTIONS[status] ?? `${status}`,
          headers,
          content: { 'application/json': { schema: ERROR_REF, example: ERROR_EXAMPLES[status] ?? ERROR_EXAMPLES[500] } },
        };
      }
    }
  }
  addBulkPaths(doc);
  return doc;
}

const requestIdHeader = () => ({
  'x-request-id': { description: 'Identifies this request in the server log', schema: { type: 'string' } },
});
const retryAfterHeader = () => ({ description: 'Seconds to wait before retrying', schema: { type: 'integer' } });
const replayedHeader = () => ({
  description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key',
  schema: { type: 'string', enum: ['true'] },
});
/** Error statuses an operation itself gives, which an Idempotency-Key stores and replays. */
const STORED_STATUSES = new Set([404, 409, 412, 422]);
