/**
 * The import's own thread on SQLite (sqlite-import-thread.ts has the protocol): it parses and
 * validates the input's bytes (sent by the main thread on request) and writes the rows, batch by
 * batch, on a better-sqlite3 connection of its own. The main thread holds the ORM's connection
 * while a batch is open (`lock` / `locked`), so the server's own writes queue behind the batch
 * asynchronously instead of meeting this thread's write lock.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import { ROW_WIDTH, type RowSlice } from './import-row.js';
import type { ImportSummary } from './importer.js';
import { JsonArrayError } from './json-array-stream.js';
import { rowSlices } from './row-slices.js';
import { SqliteImportBatches } from './sqlite-batch.js';
import type { FromSqliteWorker, SqliteWorkerData, ToSqliteWorker } from './sqlite-import-thread.js';
import { InputAborted, WorkerInput } from './worker-input.js';

const port = parentPort!;
const options = workerData as SqliteWorkerData;
const send = (message: FromSqliteWorker) => port.postMessage(message);
const input = new WorkerInput(send, options.readAhead);

// The pragmas of the server's own connection (db/orm.ts), with the import's page cache.
// Requests first: this thread yields the CPU to the event loop's when both want it (the nice value
// is per thread on Linux). Measured: with it, reads during an import waited 2.3x their idle p99;
// without, 30x (docs/performance.md). Where the platform refuses, the import runs as it is.
try {
  os.setPriority(os.constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // Not permitted here: the import still runs, at normal priority.
}
const db = new Database(options.file, { fileMustExist: true, timeout: options.busyTimeoutMs });
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('secure_delete = ON');
db.pragma(`wal_autocheckpoint = ${options.autocheckpointPages}`);
db.pragma(`cache_size = ${-options.cacheKib}`);
const batches = new SqliteImportBatches(db, options);

let granted: (() => void) | null = null;
port.on('message', (message: ToSqliteWorker) => {
  if (input.take(message)) return;
  if (message.t === 'locked') {
    granted?.();
    granted = null;
  }
});

const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 };
let committed = { ...summary };
let uncommitted = 0;

/** Asks the main thread for the ORM's connection, then takes the write lock. */
async function begin(): Promise<void> {
  await new Promise<void>((resolve) => {
    granted = resolve;
    send({ t: 'lock' });
  });
  batches.begin();
}

function commit(): void {
  if (!batches.open) return;
  const types: EventType[] = batches.commit();
  uncommitted = 0;
  committed = { ...summary };
  send({ t: 'committed', summary: committed, types });
}

async function apply(slice: RowSlice): Promise<void> {
  summary.read += slice.read;
  summary.rejected += slice.rejected.length;
  if (slice.values.length > 0) {
    if (!batches.open) await begin();
    const steps = batches.write(slice.values);
    let step = steps.next();
    while (!step.done) step = steps.next();
    summary.inserted += step.value.inserted;
    summary.updated += step.value.updated;
    summary.unchanged += step.value.unchanged;
    uncommitted += slice.values.length / ROW_WIDTH;
  }
  send({ t: 'slice', summary: { ...summary }, rejected: slice.rejected });
  if (uncommitted >= options.batchRows) commit();
}

/** The import (a function: the thread's module may be loaded as CommonJS, which has no top-level await). */
async function run(): Promise<void> {
  const slices = rowSlices(input.bytes(), options)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<RowSlice>;
      try {
        next = await slices.next();
      } catch (err) {
        // The input stopped being readable: the slices before the problem were applied; keep them.
        commit();
        if (err instanceof InputAborted) send({ t: 'aborted', summary: { ...summary } });
        else {
          const e = err as Error;
          send({
            t: 'inputFailed',
            summary: { ...summary },
            error: { name: e.name, message: e.message, offset: err instanceof JsonArrayError ? err.offset : undefined },
          });
        }
        break;
      }
      if (next.done) {
        commit();
        send({ t: 'done', summary: { ...summary } });
        break;
      }
      await apply(next.value);
    }
  } catch (err) {
    // The database failed: the batch in progress goes back; the batches before it stay.
    try {
      batches.rollback();
    } catch {
      // The connection is closed below either way.
    }
    const e = err as Error & { code?: string };
    send({ t: 'failed', committed, error: { name: e.name, message: e.message, code: e.code } });
  } finally {
    db.close();
    port.close();
  }
}

void run();
