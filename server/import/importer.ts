import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { isPostgres } from '../db/dialect.js';
import { openCustomerWriter, type PooledClient, type WriterOptions } from './customer-writer.js';
import { type RejectedRow, ROW_WIDTH, type RowSlice } from './import-row.js';
import { JsonArrayError } from './json-array-stream.js';
import { rowSlicesInWorker } from './parse-in-worker.js';
import { type RowSliceOptions, rowSlices } from './row-slices.js';
import { importOnThread } from './sqlite-import-thread.js';

export type { RejectedRow } from './import-row.js';
export { JsonArrayError } from './json-array-stream.js';

export interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  /** Rows whose carried fields already equal what is stored: nothing written, no event. */
  unchanged: number;
  rejected: number;
}

/** Who an import acts as when no caller is named (`npm run import`, the first start's sample data). */
export const SYSTEM_IMPORT = { type: 'system', id: 'import' } as const;

export const emptySummary = (): ImportSummary => ({ read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 });

export interface ImportOptions extends Pick<RowSliceOptions, 'maxElementBytes' | 'format'>, Partial<WriterOptions> {
  /** Accepted rows per transaction; by default what suits the database (10,000). */
  batchSize?: number;
  /**
   * Parse and validate on a worker thread, so that work and the database writes use two cores
   * (and the event loop stays free for other requests). It costs a few hundred ms to start.
   */
  parseInWorker?: boolean;
  /**
   * SQLite: parse, validate and write on a thread of its own with its own connection
   * (sqlite-import-thread.ts), so the event loop stays free for other requests during the whole
   * import, not only between batches. POST /customers/import does this for large bodies; on
   * PostgreSQL it means parseInWorker (the writes' work is the database server's).
   */
  writeInWorker?: boolean;
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
 * Streams customers (a JSON array or NDJSON) into the database: each row validated with the
 * API's schema, applied by email in batched transactions. Memory stays bounded whatever the size.
 *
 * The input is applied as if row by row, in order: the first row of a new email inserts it
 * (version 1, createdAt from the row or now); a row of an existing email replaces the fields it
 * carries and keeps the others (createdAt kept, version + 1, updatedAt now), or is `unchanged`
 * when it changes nothing. Each insert and update records its event in the batch's transaction
 * (customer-writer.ts). read = inserted + updated + unchanged + rejected. An import is not one
 * transaction: batches that committed stay whatever happens later; a retry is safe because
 * rows already applied come back `unchanged`. Recording the import's end (`customers.imported`)
 * is the caller's (import-record.ts), once this returns or throws.
 */
export async function importCustomers(orm: MikroORM, input: AsyncIterable<Buffer | string>, options: ImportOptions): Promise<ImportSummary> {
  if (options.writeInWorker) {
    if (!isPostgres(orm.em)) return importOnSqliteThread(orm, input, options);
    options = { ...options, parseInWorker: true };
  }
  const summary = emptySummary();
  const writer = await openCustomerWriter(orm, { actor: SYSTEM_IMPORT, requestId: null, ...options });
  const batchSize = options.batchSize ?? writer.preferredBatchSize;
  const sliceOptions = { maxElementBytes: options.maxElementBytes ?? MAX_ROW_BYTES, format: options.format };
  const slices = options.parseInWorker ? rowSlicesInWorker(input, sliceOptions) : rowSlices(input, sliceOptions);
  let uncommitted = 0;
  let committed = { ...summary };
  const commit = async () => {
    await writer.commit();
    uncommitted = 0;
    committed = { ...summary };
    // Let the requests waiting behind this batch run before the next one takes the write lock.
    await new Promise<void>((resolve) => setImmediate(resolve));
  };

  const apply = async (slice: RowSlice) => {
    summary.read += slice.read;
    for (const rejected of slice.rejected) {
      summary.rejected++;
      options.onRejected?.(rejected);
    }
    if (slice.values.length > 0) {
      const counts = await writer.write(slice.values);
      summary.inserted += counts.inserted;
      summary.updated += counts.updated;
      summary.unchanged += counts.unchanged;
      uncommitted += slice.values.length / ROW_WIDTH;
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
        await commit();
        throw new ImportInputError(err, { ...summary });
      }
      if (next.done) break;
      await apply(next.value);
    }
    await commit();
    return summary;
  } catch (err) {
    if (err instanceof ImportInputError) throw err;
    await writer.rollback().catch(() => {});
    throw new ImportFailedError(err, committed);
  } finally {
    // Stops the parser (and its thread) when the database failed first.
    await iterator.return?.(undefined);
    await writer.close();
  }
}

async function importOnSqliteThread(orm: MikroORM, input: AsyncIterable<Buffer | string>, options: ImportOptions): Promise<ImportSummary> {
  const knex = (orm.em as unknown as EntityManager).getKnex();
  const result = await importOnThread(input, {
    actor: SYSTEM_IMPORT,
    requestId: null,
    ...options,
    file: String(orm.config.get('dbName')),
    client: knex.client as unknown as PooledClient,
    format: options.format,
    maxElementBytes: options.maxElementBytes ?? MAX_ROW_BYTES,
    batchSize: options.batchSize,
  });
  if (result.kind === 'done') return result.summary;
  if (result.kind === 'input' && isInputError(result.error)) throw new ImportInputError(result.error, result.summary);
  throw new ImportFailedError(result.error, result.kind === 'input' ? result.summary : result.committed);
}

/** The input is larger than the importer was allowed to read (IMPORT_MAX_BYTES). */
export class InputTooLargeError extends Error {
  override name = 'InputTooLargeError';
}

/** A problem with the input itself (not a JSON array, truncated, unreadable), not with the database. */
function isInputError(err: unknown): err is Error {
  if (err instanceof JsonArrayError || err instanceof InputTooLargeError) return true;
  const e = err as NodeJS.ErrnoException | null;
  // A client that went away mid-body (POST /customers/import): what it sent so far is kept.
  if (e?.code === 'ECONNRESET' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE') return true;
  return typeof e?.code === 'string' && typeof e.syscall === 'string';
}
