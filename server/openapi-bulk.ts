import type { OpenAPIObject } from 'trpc-to-openapi';
import { z } from 'zod';
import { ImportReportSchema } from '../client-sdk/src/schemas/bulk.js';

/**
 * The two streaming REST routes (http/bulk-routes.ts) are not procedures, so trpc-to-openapi does
 * not see them: they are described here, in the document's own terms, with their media types and
 * headers. `buildOpenApiDocument` adds them; tests check answers against them like any other.
 */
const ERROR_REF = { $ref: '#/components/schemas/Error' };
const requestId = { 'x-request-id': { description: 'Identifies this request in the server log', schema: { type: 'string' } } };
const errorResponse = (description: string, example: { code: string; message: string }, extraHeaders: object = {}) => ({
  description,
  headers: { ...requestId, ...extraHeaders },
  content: { 'application/json': { schema: ERROR_REF, example } },
});
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };
const common = {
  401: errorResponse('Missing, invalid or expired access token or API key', { code: 'UNAUTHORIZED', message: 'Sign in first' }),
  500: errorResponse('Unexpected failure; the x-request-id header ties it to the log', { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }),
};

const IMPORT_REPORT = (z.toJSONSchema(ImportReportSchema, { io: 'output' }) as { $defs?: Record<string, unknown> }).$defs?.ImportReport;

export function addBulkPaths(doc: OpenAPIObject): void {
  doc.components!.schemas!.ImportReport = IMPORT_REPORT as never;
  const paths = (doc.paths ??= {}) as Record<string, Record<string, unknown>>;
  paths['/customers/export'] = {
    get: {
      operationId: 'customers-bulkExport',
      tags: ['customers'],
      summary: 'Export customers in bulk, from one consistent snapshot',
      description:
        'Every customer matching `query` (all when absent), streamed from ONE snapshot. `Carly-Events-After` is the event-log cursor at that ' +
        'snapshot: load the export, then follow `GET /events?after=<it>` to see every later change exactly once. `ndjson`: one Customer per ' +
        'line (the REST shape). `csv`: RFC 4180, CRLF, a header row, `address.*` flattened, `metadata` one JSON column; a text cell starting ' +
        "with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (CSV-injection guard). gzip when the request accepts it. Each export writes an " +
        'audit entry `customers.exported` with `details` `{ query, format, rows, bytes, complete }`.\n\n**Who may call:** An admin, or an API key with scope `customers:export`.',
      security: [{ bearerAuth: [] }, { apiKeyAuth: ['customers:export'] }],
      parameters: [
        { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } },
        { name: 'query', in: 'query', required: false, description: 'A `customers.search` query', schema: { type: 'string', minLength: 1, maxLength: 1000 } },
      ],
      responses: {
        200: {
          description: 'The customers, streamed: `application/x-ndjson` (the schema is that of each line, one Customer) or `text/csv`',
          headers: {
            ...requestId,
            'Carly-Events-After': {
              description: 'The newest event the snapshot holds (pass it as `after` to GET /events); absent while the event log is empty',
              schema: { type: 'string', example: 'evt_1042' },
            },
            'Content-Encoding': { description: '`gzip` when the request accepts it', schema: { type: 'string', enum: ['gzip'] } },
          },
          content: {
            'application/x-ndjson': { schema: { $ref: '#/components/schemas/Customer' } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        400: errorResponse('Invalid `format` or `query`', { code: 'BAD_REQUEST', message: 'Input validation failed' }),
        ...common,
        403: errorResponse('Not an admin, or an API key without `customers:export`', {
          code: 'FORBIDDEN',
          message: 'This API key lacks the scope customers:export',
        }),
        503: errorResponse(
          'PostgreSQL: a long write kept the export from taking a snapshot the event log can be cut at, for 30 s',
          { code: 'SERVICE_UNAVAILABLE', message: 'A long write is in progress; retry shortly' },
          retryAfter,
        ),
      },
    },
  };
  paths['/customers/import'] = {
    post: {
      operationId: 'customers-bulkImport',
      tags: ['customers'],
      summary: 'Import customers in bulk (upsert by email) from a streamed body',
      description:
        'NDJSON (one create object per line, optionally with `createdAt`) or a JSON array, up to `IMPORT_MAX_BYTES` (default 1 GiB; the 1 MiB ' +
        'body limit does not apply), read as it arrives and applied in batched transactions: a new email is inserted; for an existing one the ' +
        'fields a row carries replace the stored ones and the others are kept (`unchanged` when nothing differs). Each insert or update records ' +
        'its `customer.created`/`customer.updated` event with its batch; `customers.imported` marks the end with the counts. An import is not one ' +
        'transaction: if the client goes away, the batches that committed stay (the counts are in the log and the audit entry); a retry is safe ' +
        "because rows already applied come back `unchanged`. With `Idempotency-Key` (fingerprint: the body's SHA-256) a retry gets the stored report." +
        '\n\n**Who may call:** An admin, or an API key with scope `customers:write`.',
      security: [{ bearerAuth: [] }, { apiKeyAuth: ['customers:write'] }],
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: the same key and the same body within 24 hours get the stored report with `Idempotent-Replayed: true`; another body: 422',
          schema: { type: 'string', minLength: 1, maxLength: 257 },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'application/x-ndjson': { schema: { type: 'string' }, example: '{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"}\n' },
          'application/json': { schema: { type: 'array', items: { type: 'object' } } },
        },
      },
      responses: {
        200: {
          description: 'The import report',
          headers: {
            ...requestId,
            'Idempotent-Replayed': {
              description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key',
              schema: { type: 'string', enum: ['true'] },
            },
          },
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ImportReport' } } },
        },
        400: errorResponse('A malformed Idempotency-Key', { code: 'BAD_REQUEST', message: 'Idempotency-Key must be 1-255 printable ASCII characters' }),
        ...common,
        403: errorResponse('Not an admin, or an API key without `customers:write`', {
          code: 'FORBIDDEN',
          message: 'This API key lacks the scope customers:write',
        }),
        409: errorResponse(
          'An import with this Idempotency-Key is still running',
          { code: 'CONFLICT', message: 'A request with this Idempotency-Key is still running; retry shortly' },
          retryAfter,
        ),
        413: errorResponse('The body passed IMPORT_MAX_BYTES (rows before that point were applied and kept)', {
          code: 'PAYLOAD_TOO_LARGE',
          message: 'The body is larger than the import limit',
        }),
        415: errorResponse('Neither application/x-ndjson nor application/json', {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: 'Send the rows as application/x-ndjson or application/json',
        }),
        422: errorResponse('The Idempotency-Key was used before with another body or operation', {
          code: 'UNPROCESSABLE_CONTENT',
          message: 'This Idempotency-Key was used with a different input',
        }),
      },
    },
  };
}
