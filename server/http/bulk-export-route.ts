import { TRPCError } from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.js';
import { exportFilter } from '../customers/export/export-filter.js';
import { CONTENT_TYPES, EXPORT_FORMATS } from '../customers/export/export-formats.js';
import { openExportSnapshot } from '../customers/export/export-snapshot.js';
import { type ExportTally, exportBody } from '../customers/export/export-stream.js';
import type { AnswerRecorder, WriteTransactions } from '../db/write-transaction.js';
import type { Caller, RequestIdentity } from '../identity/identity.js';
import { admit } from '../trpc/access.js';
import { identityOf } from './bulk-import-route.js';

export interface ExportRouteDeps {
  database: Config['database'];
  authenticate: (authorization: string | null) => Promise<Caller>;
  writes: (identity: RequestIdentity, answer?: AnswerRecorder) => WriteTransactions;
}

/** The export's query string; one schema, also written into openapi.json (server/openapi.ts). */
export const ExportQuery = z.strictObject({
  format: z.enum(EXPORT_FORMATS).default('ndjson').meta({ description: '`ndjson` (default): one Customer per line; `csv`: RFC 4180 with a header row' }),
  query: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: 'Only customers matching this search query (the `customers.search` language); all when absent' }),
});

export const EVENTS_AFTER_HEADER = 'carly-events-after';

/** gzip unless the caller did not list it, or refused it (`gzip;q=0`). */
const acceptsGzip = (accept: string | undefined) => /(?:^|,)\s*gzip\s*(?:;\s*q=(?!0(?:\.0*)?\s*(?:,|$))[\d.]+)?\s*(?:,|$)/i.test(accept ?? '');

/** An export's details for the log: not its query, which may name a person (an erasure reaches the audit entry, not log files). */
const loggable = ({ query: _query, ...rest }: { query: string | null } & Record<string, unknown>) => rest;

/**
 * GET /customers/export: every customer matching `query`, streamed from one snapshot whose event
 * cursor goes out in `Carly-Events-After` (customers/export/). A REST route of its own, not a
 * procedure: its answer is a stream, not one JSON value. Admin or `customers:export`; one audit
 * entry per export, written when the stream ends (`details`: query, format, rows, bytes, complete).
 */
export async function exportRoute(deps: ExportRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const caller = await deps.authenticate(request.headers.authorization ?? null);
  admit(caller, { level: 'staff', scope: 'customers:export' });
  const parsed = ExportQuery.safeParse(request.query ?? {});
  // The same 400 with `issues` as a procedure's input (contract-error.ts).
  if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Input validation failed', cause: parsed.error });
  const input = parsed.data;
  const filter = exportFilter(input.query, deps.database.kind);
  const snapshot = await openExportSnapshot(deps.database, filter);
  const identity = identityOf(request, caller);
  const gzip = acceptsGzip(request.headers['accept-encoding']);
  const onEnd = (tally: ExportTally) => {
    const details = { query: input.query ?? null, format: input.format, rows: tally.rows, bytes: tally.bytes, complete: tally.complete ? 1 : 0 };
    if (!tally.complete) request.log.info({ export: loggable(details) }, 'export ended early: the client went away');
    deps
      .writes(identity)
      .run(async (_em, log) => log.audit({ action: 'customers.exported', target: null, outcome: tally.complete ? 'success' : 'failure', details }), {
        answer: false,
      })
      .catch((err: unknown) => request.log.error({ err, export: loggable(details) }, 'could not record the export in the audit trail'));
  };
  reply.header('content-type', CONTENT_TYPES[input.format]);
  reply.header('content-disposition', `attachment; filename="customers.${input.format}"`);
  reply.header('vary', 'accept-encoding');
  if (snapshot.eventsAfter !== null) reply.header(EVENTS_AFTER_HEADER, snapshot.eventsAfter);
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.code(200).send(exportBody(snapshot, input.format, gzip, onEnd));
}
