import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The write connection's own automatic checkpoint is a backstop only, at this many WAL pages
 * (40 MB): normally the checkpointer below keeps the WAL far shorter. It still bounds the WAL when
 * the checkpointer cannot keep up (a long reader holds it back, or its thread failed).
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

export interface WalCheckpointerOptions {
  /** How often the main thread looks whether the WAL changed (one `stat`), and asks for a checkpoint if it did. */
  intervalMs: number;
  /** The thread ends after this long without a checkpoint to run; the next write starts it again. */
  idleMs: number;
}

const DEFAULTS: WalCheckpointerOptions = { intervalMs: 100, idleMs: 30_000 };

/**
 * The worker: its own connection to the file, one PASSIVE checkpoint per request. PASSIVE never
 * waits for a reader or the writer: it copies what it can and answers; SQLITE_BUSY (another
 * checkpoint running: the backstop, or the erasure scrubber's TRUNCATE) is answered as busy and
 * simply tried again at the next tick. Plain JavaScript evaluated as the worker, so it runs the
 * same from TypeScript sources and from dist/.
 */
const workerSource = (sqlitePath: string, file: string) => `
const { parentPort } = require('node:worker_threads');
const Database = require(${JSON.stringify(sqlitePath)});
const db = new Database(${JSON.stringify(file)}, { fileMustExist: true, timeout: 0 });
parentPort.on('message', (msg) => {
  if (msg === 'close') { db.close(); process.exit(0); }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ busy: Number(r.busy), log: Number(r.log), checkpointed: Number(r.checkpointed) });
  } catch (err) {
    parentPort.postMessage({ busy: 1, log: -1, checkpointed: -1, error: String((err && err.message) || err) });
  }
});`;

/** What the last checkpoint answered (SQLite's wal_checkpoint row). */
export interface CheckpointResult {
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Of them, copied into the database file. */
  checkpointed: number;
  error?: string;
}

/**
 * Runs SQLite's WAL checkpoints on a thread of its own instead of on the commit that happens to
 * cross `wal_autocheckpoint`.
 *
 * Why: better-sqlite3 is synchronous, so the automatic checkpoint ran inside one request's commit,
 * on the event loop: it copies the WAL's pages into the database file and fsyncs the WAL and the
 * file. Measured on the write floor (docs/performance.md, "Where the create tail comes from"), a
 * create writes ~35 WAL pages, so the default 1,000-page checkpoint ran every ~30 creates, and the
 * creates that ran it were most of the slowest ones; every connection waited behind them.
 *
 * Same durability: a commit is durable when its WAL frames are written (synchronous=NORMAL, as
 * before), and the checkpoint, whichever connection runs it, fsyncs the WAL before copying and the
 * database file after (docs/operations.md, "SQLite checkpoints").
 *
 * The main thread only `stat`s the -wal file every `intervalMs`; when it changed, it asks the
 * thread for a PASSIVE checkpoint (one in flight at a time). The thread starts on the first change
 * and ends after `idleMs` without one, so an idle server keeps no thread for it.
 */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private inFlight = false;
  /** When the thread last failed (it could not open the file, say): no new one for `idleMs`, so a broken setup logs twice a minute, not ten times a second. */
  private failedAt = Number.NEGATIVE_INFINITY;
  private lastSeen = '';
  private readonly options: WalCheckpointerOptions;
  private readonly source: string;
  /** Checkpoints run so far (a diagnostic). */
  checkpoints = 0;
  /** The last checkpoint's answer, or null before the first. */
  last: CheckpointResult | null = null;

  constructor(
    private readonly file: string,
    options: Partial<WalCheckpointerOptions> = {},
    private readonly onError: (message: string) => void = () => {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.source = workerSource(createRequire(import.meta.url).resolve('better-sqlite3'), file);
  }

  /** Threads running now (0 or 1; a diagnostic: 0 on an idle server). */
  get threads(): number {
    return this.worker ? 1 : 0;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops looking and ends the thread (closing the database afterwards checkpoints what is left, as before). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clearIdle();
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      // Referenced again, so the process waits for the thread to close its connection instead of
      // ending (nothing else may hold the event loop open during a shutdown).
      worker.ref();
      worker.postMessage('close');
      await exited;
    }
  }

  private tick(): void {
    if (this.inFlight || performance.now() - this.failedAt < this.options.idleMs) return;
    let seen: string;
    try {
      const st = fs.statSync(`${this.file}-wal`);
      seen = `${st.size}:${st.mtimeMs}`;
    } catch {
      return; // no WAL yet (or the database is closing)
    }
    if (seen === this.lastSeen) return;
    this.lastSeen = seen;
    this.inFlight = true;
    this.clearIdle();
    (this.worker ??= this.spawn()).postMessage('checkpoint');
  }

  private spawn(): Worker {
    const worker = new Worker(this.source, { eval: true });
    worker.unref();
    worker.on('message', (result: CheckpointResult) => {
      this.inFlight = false;
      this.checkpoints++;
      this.last = result;
      if (result.error && !/busy|locked/i.test(result.error)) this.onError(result.error);
      // After stop() (or a reap) this thread is on its way out: no idle timer for it.
      if (this.worker === worker) this.reapLater(worker);
    });
    worker.on('error', (err) => {
      this.failedAt = performance.now();
      this.onError(err.message);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.inFlight = false;
    });
    return worker;
  }

  private reapLater(worker: Worker): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker !== worker || this.inFlight) return;
      this.worker = null;
      worker.postMessage('close');
    }, this.options.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
