import type { MikroORM } from '@mikro-orm/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import type { AnswerRecorder, WriteTransactions } from '../db/write-transaction.js';
import { DomainError, unprocessable } from '../errors.js';
import { parseIdempotencyKey } from '../idempotency/idempotency-key.js';
import type { IdempotencyStore, StreamedClaim } from '../idempotency/idempotency-store.js';
import { actorOfCaller, type Caller, callerScopeKey, type RequestIdentity } from '../identity/identity.js';
import { hashBody, importFromStream } from '../import/import-service.js';
import type { ImportFormat } from '../import/row-slices.js';
import { admit } from '../trpc/access.js';

export interface BulkRouteDeps {
  orm: MikroORM;
  authenticate: (authorization: string | null) => Promise<Caller>;
  idempotency: IdempotencyStore;
  writes: (identity: RequestIdentity, answer?: AnswerRecorder) => WriteTransactions;
  onEventsCommitted: (types: readonly EventType[]) => void;
  importMaxBytes: number;
}

export const IMPORT_OPERATION = 'customers.import';
/** Bodies this large, or of unknown length (chunked), are parsed on a worker thread. */
const WORKER_THRESHOLD_BYTES = 1024 * 1024;

const FORMATS: Record<string, ImportFormat> = { 'application/x-ndjson': 'ndjson', 'application/json': 'array' };

/** The request's identity once its caller is known (the same fields the procedures' context makes). */
export const identityOf = (request: FastifyRequest, caller: Caller): RequestIdentity => ({
  ...actorOfCaller(caller),
  requestId: request.id,
  ip: request.ip,
  userAgent: request.headers['user-agent'] ?? null,
});

const header = (value: string | string[] | undefined): string | null => (Array.isArray(value) ? (value[0] ?? null) : (value ?? null));

/**
 * POST /customers/import: a REST route of its own, not a procedure, because its body is a stream
 * (NDJSON or a JSON array up to IMPORT_MAX_BYTES, read as it arrives) rather than one JSON value
 * under the 1 MiB limit. Same rules as the procedures: bearer credential, admin or
 * `customers:write`, errors as `{ code, message }`, Idempotency-Key (its fingerprint is the body's
 * SHA-256, taken while streaming; see IdempotencyStore.beginStreamed).
 */
export async function importRoute(deps: BulkRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const caller = await deps.authenticate(header(request.headers.authorization));
  admit(caller, { level: 'staff', scope: 'customers:write' });
  const mediaType = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const format = FORMATS[mediaType];
  if (!format) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the rows as application/x-ndjson (one customer per line) or application/json (an array)');
  const length = header(request.headers['content-length']);
  if (length !== null && Number(length) > deps.importMaxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `The body is larger than the import limit (IMPORT_MAX_BYTES = ${deps.importMaxBytes} bytes)`);
  }
  const identity = identityOf(request, caller);
  const keyHeader = header(request.headers['idempotency-key']);
  let claim: StreamedClaim | undefined;
  if (keyHeader !== null) {
    const key = parseIdempotencyKey(keyHeader);
    const outcome = await deps.idempotency.beginStreamed(callerScopeKey(caller), key, IMPORT_OPERATION);
    if (outcome.kind === 'stored') {
      // Nothing runs again: the body is only hashed, to tell a retry from another import.
      if ((await hashBody(request.raw, deps.importMaxBytes)) !== outcome.fingerprint) {
        throw unprocessable('This Idempotency-Key was used with a different input; use a new key for each request');
      }
      reply.header('idempotent-replayed', 'true');
      const answer = outcome.answer;
      if (!answer.ok) throw new DomainError(answer.code, answer.message);
      return reply.code(200).send(answer.value);
    }
    claim = outcome.claim;
  }
  const writes = deps.writes(identity, claim);
  let run;
  try {
    run = await importFromStream(deps.orm, request.raw, writes, {
      format,
      // A parser thread keeps a large import's parsing off the event loop; it takes a moment to start, which a small body does not repay.
      writeInWorker: length === null || Number(length) >= WORKER_THRESHOLD_BYTES,
      maxBytes: deps.importMaxBytes,
      actor: identity.actor!,
      requestId: request.id,
      onEventsCommitted: deps.onEventsCommitted,
      onFingerprint: (fingerprint) => {
        if (claim) claim.fingerprint = fingerprint;
      },
    });
  } catch (err) {
    await claim?.release();
    throw err;
  }
  const { report, outcome } = run;
  if (outcome !== 'complete') {
    // Not one transaction: the batches that committed stay. Their counts are in the log and in
    // the import's audit entry; the key is freed, so a retry runs (rows applied come back unchanged).
    await claim?.release();
    const committed = {
      importId: report.importId,
      read: report.read,
      inserted: report.inserted,
      updated: report.updated,
      unchanged: report.unchanged,
      rejected: report.rejected,
    };
    if (outcome === 'failed') {
      request.log.error({ err: run.error, import: committed }, 'import failed part-way; the batches before it committed');
      throw run.error;
    }
    request.log.warn({ import: committed, outcome }, 'import stopped part-way; the batches before it committed');
    if (outcome === 'tooLarge') {
      throw new DomainError(
        'PAYLOAD_TOO_LARGE',
        `The body is larger than the import limit (IMPORT_MAX_BYTES = ${deps.importMaxBytes} bytes); ${report.read} rows before that point were processed and kept (import ${report.importId})`,
      );
    }
    // The client went away: nobody to answer.
    return reply.code(499).send();
  }
  return reply.code(200).send(report);
}
