import type { Readable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/core';
import { toFieldIssues } from '../trpc/issues.js';
import { openCustomerWriter } from './customer-writer.js';
import { ImportRowSchema, type ImportRow } from './import-row.js';
import { JsonArrayError, streamJsonArrayChunks, type JsonArrayStreamOptions } from './json-array-stream.js';

export { JsonArrayError } from './json-array-stream.js';

export interface RejectedRow {
  index: number;
  email: string | null;
  reason: string;
}

export interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  rejected: number;
}

export interface ImportOptions extends JsonArrayStreamOptions {
  /** Accepted rows per transaction; by default what suits the database (50,000 on SQLite, 10,000 elsewhere). */
  batchSize?: number;
  /** Called after every statement-sized slice of rows is written (about every 1,000 rows), with running totals. */
  onProgress?: (summary: ImportSummary) => void;
  /** Called once per rejected row; rows are not kept in memory. */
  onRejected?: (row: RejectedRow) => void;
}

/**
 * The input stopped being a readable JSON array part-way (truncated, malformed, unreadable).
 * The complete rows before that point were imported and committed: `summary` counts them.
 */
export class ImportInputError extends Error {
  override name = 'ImportInputError';
  constructor(
    override readonly cause: Error,
    readonly summary: ImportSummary,
  ) {
    super(cause.message);
  }
}

/** Rows handed to the database at a time. */
const SLICE_ROWS = 1000;

/**
 * Streams a JSON array of customers into the database: each row validated with the API's
 * schema, upserted by email in batched transactions. Memory is bounded by one slice of rows.
 *
 * The file is applied as if row by row, in order: the first row of an email inserts it
 * (version 1, createdAt from the row or now); every later row of that email, in the file or
 * from an earlier import, is an update (fields replaced, createdAt kept, version + 1,
 * updatedAt now). So read = inserted + updated + rejected.
 */
export async function importCustomers(orm: MikroORM, input: Readable, options: ImportOptions = {}): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, rejected: 0 };
  const writer = await openCustomerWriter(orm);
  const batchSize = options.batchSize ?? writer.preferredBatchSize;
  let pending: ImportRow[] = [];
  let uncommitted = 0;

  const write = async () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    const inserted = await writer.write(rows);
    summary.inserted += inserted;
    summary.updated += rows.length - inserted;
    uncommitted += rows.length;
    if (uncommitted >= batchSize) {
      await writer.commit();
      uncommitted = 0;
    }
    options.onProgress?.({ ...summary });
  };

  const reject = (index: number, value: unknown, reason: string) => {
    summary.rejected++;
    const email = (value as { email?: unknown } | null)?.email;
    options.onRejected?.({ index, email: typeof email === 'string' ? email : null, reason });
  };

  try {
    try {
      for await (const elements of streamJsonArrayChunks(input, options)) {
        for (const { index, value, tooLarge } of elements) {
          summary.read++;
          if (tooLarge) {
            reject(index, undefined, 'row is too large to be a customer');
            continue;
          }
          const parsed = ImportRowSchema.safeParse(value);
          if (parsed.success) pending.push(parsed.data);
          else reject(index, value, describeIssues(parsed.error.issues));
          if (pending.length >= SLICE_ROWS) await write();
        }
      }
    } catch (err) {
      if (!isInputError(err)) throw err;
      // Keep the complete rows read before the input went wrong, then report it.
      await write();
      await writer.commit();
      throw new ImportInputError(err, { ...summary });
    }
    await write();
    await writer.commit();
    return summary;
  } finally {
    await writer.close();
  }
}

/** A problem with the input itself (not JSON, truncated, unreadable), as opposed to the database. */
function isInputError(err: unknown): err is Error {
  if (err instanceof JsonArrayError) return true;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

function describeIssues(issues: Parameters<typeof toFieldIssues>[0]): string {
  return toFieldIssues(issues)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
}
