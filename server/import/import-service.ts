import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import { type ImportReport, newImportId, REPORTED_REJECTS, recordImportEnd } from './import-record.js';
import { emptySummary, ImportFailedError, ImportInputError, type ImportSummary, InputTooLargeError, importCustomers, JsonArrayError } from './importer.js';
import type { ImportFormat } from './row-slices.js';

/**
 * How an import over the API ended:
 * - `complete`: the whole body was read (a JSON array that turned out malformed part-way is
 *   complete too: its report ends with a reject naming the problem);
 * - `tooLarge`: the body passed IMPORT_MAX_BYTES; `aborted`: the client went away mid-body;
 *   `failed`: the database failed. In these three the report counts what committed.
 */
export type ImportOutcome = 'complete' | 'tooLarge' | 'aborted' | 'failed';

export interface ImportRun {
  report: ImportReport;
  outcome: ImportOutcome;
  /** SHA-256 (hex) of the body bytes read (all of them when `complete`). */
  fingerprint: string;
  error?: unknown;
}

export interface StreamImportOptions {
  format: ImportFormat;
  /** Parse, validate (and on SQLite write) on a thread of its own (importer.ts writeInWorker). */
  writeInWorker: boolean;
  maxBytes: number;
  actor: Actor;
  requestId: string | null;
  onEventsCommitted: (types: readonly EventType[]) => void;
  /** The body's fingerprint, once read, before the end is recorded (the Idempotency-Key's claim stores it with the answer). */
  onFingerprint?: (fingerprint: string) => void;
}

/** The body's bytes as they arrive, hashed on the way, refused past `maxBytes`. */
async function* hashed(body: AsyncIterable<Buffer | string>, hash: ReturnType<typeof createHash>, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const piece of body) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    bytes += chunk.length;
    if (bytes > maxBytes) throw new InputTooLargeError(`The body is larger than the import limit (IMPORT_MAX_BYTES = ${maxBytes} bytes)`);
    hash.update(chunk);
    yield chunk;
  }
}

/** SHA-256 of a whole body (an Idempotency-Key retry is compared before anything runs). */
export async function hashBody(body: AsyncIterable<Buffer | string>, maxBytes: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const _ of hashed(body, hash, maxBytes));
  return hash.digest('hex');
}

/**
 * POST /customers/import without the HTTP: streams `body` through the importer (parsed on a
 * worker thread, so the event loop stays free for other requests), then records the import's end
 * (importer.ts, import-record.ts). `writes` carries the caller's identity and, when the request
 * has an Idempotency-Key, the claim that stores the report with the end record: only for a
 * complete import (an incomplete one frees the key: a retry runs again, and rows already applied
 * come back `unchanged`).
 */
export async function importFromStream(
  orm: MikroORM,
  body: AsyncIterable<Buffer | string>,
  writes: WriteTransactions,
  options: StreamImportOptions,
): Promise<ImportRun> {
  const hash = createHash('sha256');
  const rejects: ImportReport['rejects'] = [];
  let summary: ImportSummary = emptySummary();
  let outcome: ImportOutcome = 'complete';
  let error: unknown;
  try {
    summary = await importCustomers(orm, hashed(body, hash, options.maxBytes), {
      format: options.format,
      writeInWorker: options.writeInWorker,
      actor: options.actor,
      requestId: options.requestId,
      onEventsCommitted: options.onEventsCommitted,
      onRejected: (row) => {
        if (rejects.length < REPORTED_REJECTS) rejects.push({ line: row.index + 1, message: row.reason });
      },
    });
  } catch (err) {
    error = err;
    if (err instanceof ImportInputError) {
      summary = err.summary;
      if (err.cause instanceof JsonArrayError) {
        // The array broke off at its next element: that element is read, and rejected.
        summary = { ...summary, read: summary.read + 1, rejected: summary.rejected + 1 };
        if (rejects.length < REPORTED_REJECTS) rejects.push({ line: summary.read, message: `${err.cause.message}; reading stopped here` });
      } else outcome = err.cause instanceof InputTooLargeError ? 'tooLarge' : 'aborted';
    } else if (err instanceof ImportFailedError) {
      summary = err.committed;
      outcome = 'failed';
    } else throw err;
  }
  const report: ImportReport = { importId: newImportId(), ...summary, rejects };
  const complete = outcome === 'complete';
  const fingerprint = hash.digest('hex');
  options.onFingerprint?.(fingerprint);
  try {
    await recordImportEnd(writes, report, complete, complete);
  } catch (err) {
    // A database that failed the import may fail this too: the import's own error is what counts.
    if (complete) throw err;
  }
  return { report, outcome, fingerprint, error };
}
