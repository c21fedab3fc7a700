import type { EventType } from '../../client-sdk/src/schemas/events.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES } from '../db/wal-checkpointer.js';
import type { PooledClient, WriterOptions } from './customer-writer.js';
import type { RejectedRow } from './import-row.js';
import type { ImportSummary } from './importer.js';
import { JsonArrayError } from './json-array-stream.js';
import { startWorker } from './parse-in-worker.js';
import { DEFAULT_SLICE_ROWS, type ImportFormat } from './row-slices.js';
import { IMPORT_THREAD_CACHE_KIB, SQLITE_BATCH_ROWS } from './sqlite-batch.js';
import { InputFeeder, type InputMessage, type NeedMessage } from './worker-input.js';

/*
 * Protocol between the main thread and sqlite-import-worker.ts: the input's chunks on request
 * (worker-input.ts), then
 *   worker → main  lock                      a batch is about to begin: take the ORM's connection
 *   main → worker  locked                    it is held (nothing runs on it until `committed`)
 *   worker → main  slice {summary, rejected} a slice applied (running totals, its rejected rows)
 *   worker → main  committed {summary, types} the batch committed: give the connection back
 *   worker → main  done | inputFailed | aborted {summary} | failed {committed}
 */
export interface SqliteWorkerData {
  file: string;
  format: ImportFormat | undefined;
  maxElementBytes: number | undefined;
  sliceRows: number;
  readAhead: number;
  batchRows: number;
  cacheKib: number;
  busyTimeoutMs: number;
  autocheckpointPages: number;
  actor: WriterOptions['actor'];
  requestId: string | null;
}
type WorkerError = { name: string; message: string; offset?: number; code?: string };
export type ToSqliteWorker = InputMessage | { t: 'locked' };
export type FromSqliteWorker =
  | NeedMessage
  | { t: 'lock' }
  | { t: 'slice'; summary: ImportSummary; rejected: RejectedRow[] }
  | { t: 'committed'; summary: ImportSummary; types: EventType[] }
  | { t: 'done'; summary: ImportSummary }
  | { t: 'inputFailed'; summary: ImportSummary; error: WorkerError }
  | { t: 'aborted'; summary: ImportSummary }
  | { t: 'failed'; committed: ImportSummary; error: WorkerError };

export interface ThreadImportOptions extends WriterOptions {
  /** The SQLite file (the ORM's). */
  file: string;
  /** The ORM's pool (one connection on SQLite): held while a batch is open. */
  client: PooledClient;
  format: ImportFormat | undefined;
  maxElementBytes: number;
  batchSize: number | undefined;
  onProgress?: (summary: ImportSummary) => void;
  onRejected?: (row: RejectedRow) => void;
}

/** How an import on the thread ended; importer.ts turns the last two into its errors. */
export type ThreadImportResult =
  | { kind: 'done'; summary: ImportSummary }
  | { kind: 'input'; error: Error; summary: ImportSummary }
  | { kind: 'failed'; error: unknown; committed: ImportSummary };

/** The same busy timeout as the server's connection (db/orm.ts): another process's write lock is waited out, on this thread. */
const BUSY_TIMEOUT_MS = 5000;

const asError = (e: WorkerError): Error => {
  if (e.name === 'JsonArrayError') return new JsonArrayError(e.message, e.offset ?? 0);
  return Object.assign(new Error(e.message), { name: e.name, code: e.code });
};

/**
 * An import on SQLite with its parsing, validation and writes on a thread of their own
 * (sqlite-import-worker.ts): the event loop only hands the body's chunks over, so requests keep
 * being answered while the import runs, at the cost of a second connection to the file.
 *
 * One writer at a time still: better-sqlite3 is synchronous, so a server write meeting the
 * thread's write lock on the ORM's connection would wait for it (busy_timeout) with the event
 * loop blocked. So while a batch is open this side holds the ORM's connection, taken from knex's
 * pool like any transaction's: the server's writes (and anything else on that connection) queue
 * behind the batch asynchronously, as they did when the batch ran on that connection, and run
 * between batches. Events keep their order: a batch's events commit with it, while no other
 * writer can commit (events/event-log.ts).
 */
export async function importOnThread(input: AsyncIterable<Buffer | string>, options: ThreadImportOptions): Promise<ThreadImportResult> {
  const worker = startWorker('sqlite-import-worker', {
    file: options.file,
    format: options.format,
    maxElementBytes: options.maxElementBytes,
    sliceRows: DEFAULT_SLICE_ROWS,
    readAhead: 16,
    batchRows: options.batchSize ?? SQLITE_BATCH_ROWS,
    cacheKib: IMPORT_THREAD_CACHE_KIB,
    busyTimeoutMs: BUSY_TIMEOUT_MS,
    autocheckpointPages: BACKSTOP_AUTOCHECKPOINT_PAGES,
    actor: options.actor,
    requestId: options.requestId,
  } satisfies SqliteWorkerData);
  const post = (message: ToSqliteWorker) => worker.postMessage(message);
  const feeder = new InputFeeder(input, post);
  let held: unknown = null;
  let committed: ImportSummary = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
  const release = async () => {
    const connection = held;
    held = null;
    if (connection !== null) await options.client.releaseConnection(connection);
  };

  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let settle!: (result: ThreadImportResult) => void;
  const ended = new Promise<ThreadImportResult>((resolve) => (settle = resolve));
  // Messages are handled one after another (taking the connection is asynchronous).
  let handling = Promise.resolve();
  const handle = async (message: FromSqliteWorker): Promise<void> => {
    switch (message.t) {
      case 'need':
        feeder.next();
        return;
      case 'lock':
        held = await options.client.acquireConnection();
        post({ t: 'locked' });
        return;
      case 'slice':
        for (const row of message.rejected) options.onRejected?.(row);
        options.onProgress?.(message.summary);
        return;
      case 'committed':
        committed = message.summary;
        await release();
        if (message.types.length) options.onEventsCommitted?.(message.types);
        return;
      case 'done':
        settle({ kind: 'done', summary: message.summary });
        return;
      case 'inputFailed':
        settle({ kind: 'input', error: asError(message.error), summary: message.summary });
        return;
      case 'aborted':
        settle({ kind: 'input', error: feeder.error as Error, summary: message.summary });
        return;
      case 'failed':
        settle({ kind: 'failed', error: asError(message.error), committed: message.committed });
        return;
    }
  };
  worker.on('message', (message: FromSqliteWorker) => {
    handling = handling.then(() => handle(message)).catch((err: unknown) => settle({ kind: 'failed', error: err, committed }));
  });
  worker.on('error', (err) => settle({ kind: 'failed', error: err, committed }));
  // After the messages it sent before it ended (settling twice keeps the first).
  void exited.then((code) =>
    handling.then(() => settle({ kind: 'failed', error: new Error(`the import's thread stopped unexpectedly (exit code ${code})`), committed })),
  );

  try {
    return await ended;
  } finally {
    // The thread closes its connection as it ends (a transaction still open rolls back with it);
    // only then may the server's writes have the file again. A thread still waiting (this side
    // failed first) is stopped.
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false))]);
    if (!stopped) await worker.terminate();
    await handling;
    await release();
    await feeder.close();
  }
}
