import type { Readable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/core';
import { openCustomerWriter, type CustomerWriter } from './customer-writer.js';
import { ROW_WIDTH, type RejectedRow, type RowSlice } from './import-row.js';
import { JsonArrayError } from './json-array-stream.js';
import { rowSlicesInWorker } from './parse-in-worker.js';
import { rowSlices, type RowSliceOptions } from './row-slices.js';

export type { RejectedRow } from './import-row.js';
export { JsonArrayError } from './json-array-stream.js';

export interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  rejected: number;
}

export interface ImportOptions extends Pick<RowSliceOptions, 'maxElementBytes'> {
  /** Accepted rows per transaction; by default what suits the database (50,000 on SQLite, 10,000 elsewhere). */
  batchSize?: number;
  /**
   * Parse and validate on a worker thread, so that work and the database writes use two cores.
   * Worth it for large files (it costs a few hundred ms to start); off by default.
   */
  parseInWorker?: boolean;
  /** Called after every slice of about 1,000 rows is written, with the running totals. */
  onProgress?: (summary: ImportSummary) => void;
  /** Called once per rejected row, in file order; rows are not kept in memory. */
  onRejected?: (row: RejectedRow) => void;
}

/**
 * The largest array element parsed: a valid customer is far smaller (50 metadata entries of 540
 * characters, even \u-escaped, stay under 200 KB); anything longer is rejected unparsed.
 */
const MAX_ROW_BYTES = 1024 * 1024;

/**
 * The input stopped being a readable JSON array part-way (truncated, malformed, unreadable).
 * Every complete row before that point was imported and committed; `summary` counts them.
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

/**
 * The database failed part-way: the batch in progress was rolled back; `committed` counts the
 * rows of the batches committed before.
 */
export class ImportFailedError extends Error {
  override name = 'ImportFailedError';
  constructor(
    override readonly cause: unknown,
    readonly committed: ImportSummary,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Streams a JSON array of customers into the database: each row validated with the API's
 * schema, upserted by email in batched transactions. Memory stays bounded whatever the size.
 *
 * The file is applied as if row by row, in order: the first row of an email inserts it
 * (version 1, createdAt from the row or now); every later row of that email, in the file or
 * from an earlier import, is an update (fields replaced, createdAt kept, version + 1,
 * updatedAt now). So read = inserted + updated + rejected. Rejected rows change nothing.
 */
export async function importCustomers(orm: MikroORM, input: Readable, options: ImportOptions = {}): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, rejected: 0 };
  const writer = await openCustomerWriter(orm);
  const batchSize = options.batchSize ?? writer.preferredBatchSize;
  const sliceOptions = { maxElementBytes: options.maxElementBytes ?? MAX_ROW_BYTES };
  const slices = options.parseInWorker ? rowSlicesInWorker(input, sliceOptions) : rowSlices(input, sliceOptions);
  let uncommitted = 0;
  let committed: ImportSummary = { ...summary };
  const commit = async () => {
    await writer.commit();
    uncommitted = 0;
    committed = { ...summary };
  };
  /** The last commit: with the import's one `customers.imported` event, when it changed anything. */
  const finish = async () => {
    if (summary.inserted + summary.updated > 0) await writer.recordImported(summary);
    await commit();
  };

  const apply = async (slice: RowSlice) => {
    summary.read += slice.read;
    for (const rejected of slice.rejected) {
      summary.rejected++;
      options.onRejected?.(rejected);
    }
    if (slice.values.length > 0) {
      const rows = slice.values.length / ROW_WIDTH;
      const inserted = await writer.write(slice.values);
      summary.inserted += inserted;
      summary.updated += rows - inserted;
      uncommitted += rows;
      if (uncommitted >= batchSize) await commit();
    }
    options.onProgress?.({ ...summary });
  };

  const iterator = slices[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<RowSlice>;
      try {
        next = await iterator.next();
      } catch (err) {
        if (!isInputError(err)) throw err;
        // The slices before the problem were applied: keep them, then report it.
        await finish();
        throw new ImportInputError(err, { ...summary });
      }
      if (next.done) break;
      await apply(next.value);
    }
    await finish();
    return summary;
  } catch (err) {
    if (err instanceof ImportInputError) throw err;
    await recordCommittedPart(writer, committed);
    throw new ImportFailedError(err, committed);
  } finally {
    // Stops the parser (and its thread) when the database failed first.
    await iterator.return?.(undefined);
    await writer.close();
  }
}

/**
 * The database failed part-way, after earlier batches committed: those changes happened, so
 * try to record them (their counts) in a transaction of their own. If the database is still
 * failing this fails too, and the import's own error is what gets reported.
 */
async function recordCommittedPart(writer: CustomerWriter, committed: ImportSummary): Promise<void> {
  if (committed.inserted + committed.updated === 0) return;
  try {
    await writer.rollback();
    await writer.recordImported(committed);
    await writer.commit();
  } catch {
    await writer.rollback().catch(() => {});
  }
}

/** A problem with the input itself (not a JSON array, truncated, unreadable), not with the database. */
function isInputError(err: unknown): err is Error {
  if (err instanceof JsonArrayError) return true;
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.code === 'string' && typeof e.syscall === 'string';
}
