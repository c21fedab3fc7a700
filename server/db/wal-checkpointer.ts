import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's source, plain CommonJS: it starts the same from the sources (tsx) and from dist/.
 * A checkpoint that cannot run now (a reader's snapshot, a busy lock) copies what it can and the
 * next one goes on: nothing is lost, the WAL is only longer meanwhile.
 */
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
}, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  // A last one, so that the caller's next commit has little left to copy on its own thread.
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
  db.close();
  parentPort.close();
});
`;

/**
 * Copies an SQLite database's WAL into its file on a thread of its own, every `everyMs`, with
 * PASSIVE checkpoints (they never block the writer or the readers). For a long write on the
 * event loop's connection with its own automatic checkpoints off: measured during an import, a
 * checkpoint run by a commit stopped the event loop for 0.3–0.7 s at a time.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, everyMs = 250) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(SOURCE, { eval: true, workerData: { file, driver, everyMs } });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // A failure here (the file gone) must not take the server down: the WAL is then checkpointed
    // by the connection's own automatic checkpoints once the caller turns them back on.
    this.worker.on('error', () => {});
  }

  /** Runs a last checkpoint, stops, and closes the worker's connection. */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    await this.exited;
  }
}
