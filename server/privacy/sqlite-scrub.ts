import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';

export interface WalScrubOptions {
  /** Tries before the erase answers (each one never waits for a reader: see `tryOnce`). */
  quickTries: number;
  /** Pause between those tries, and between background retries at first. */
  pauseMs: number;
  /** Background retries stop (with an error in the log) after this long. */
  giveUpAfterMs: number;
}

const DEFAULTS: WalScrubOptions = { quickTries: 3, pauseMs: 100, giveUpAfterMs: 10 * 60_000 };
/** Background retries back off to this interval. */
const MAX_RETRY_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * After an erasure on SQLite: copies the WAL into the database file and truncates it to zero
 * bytes, so the old versions of the erased rows' pages (which the WAL holds until then) are gone
 * from the files. With `secure_delete` on (db/orm.ts), the pages written back hold zeros where the
 * rows were.
 *
 * A reader in the middle of a read transaction (another process, a backup) keeps the WAL busy.
 * The checkpoint used to run on the server's connection, whose busy_timeout (5 s) better-sqlite3
 * waits out synchronously: the whole event loop stopped (GET /health took 4.9 s). Now each try runs
 * on a connection of its own with no busy timeout, so it answers "busy" at once; a few tries run
 * before the erase answers, then the checkpoint moves off the request's path to a timer, backing
 * off, for at most `giveUpAfterMs`. The erase's answer says when it could not finish
 * (`scrubPending`), the log says so too, and again when it finished or gave up.
 * Elsewhere (PostgreSQL, `file` null) it does nothing: see docs/audit-and-privacy.md on vacuum.
 */
export class WalScrubber {
  private timer: NodeJS.Timeout | null = null;
  private pendingSince: number | null = null;
  private readonly options: WalScrubOptions;

  constructor(
    private readonly file: string | null,
    private readonly log: FastifyBaseLogger,
    options: Partial<WalScrubOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Whether a checkpoint after an erasure is still to finish (background retries running). */
  get pending(): boolean {
    return this.pendingSince !== null;
  }

  /** After an erasure committed: true when the WAL is checkpointed and empty; false when that continues in the background. */
  async afterErase(): Promise<boolean> {
    if (this.file === null) return true;
    for (let i = 0; i < this.options.quickTries; i++) {
      if (i) await sleep(this.options.pauseMs);
      if (this.tryOnce()) {
        this.finish();
        return true;
      }
    }
    this.log.warn(
      'after an erasure a reader kept the SQLite WAL busy: erased data stays in the -wal file until the checkpoint, retried in the background, finishes',
    );
    // The bound counts from the latest erasure still waiting; one timer serves them all.
    const waiting = this.pendingSince !== null;
    this.pendingSince = Date.now();
    if (!waiting) this.schedule(this.options.pauseMs);
    return false;
  }

  /** Stops the background retries (shutdown: closing the last connection checkpoints, if no other process still reads). */
  stop(): void {
    if (this.pendingSince !== null) {
      this.log.warn(
        'stopping with the SQLite WAL checkpoint after an erasure unfinished: closing the database checkpoints it unless another process still reads the file',
      );
      this.pendingSince = null;
    }
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.tryOnce()) {
        this.log.info({ afterMs: Date.now() - this.pendingSince! }, 'the SQLite WAL holding erased data is checkpointed and truncated');
        this.pendingSince = null;
      } else if (Date.now() - this.pendingSince! >= this.options.giveUpAfterMs) {
        this.log.error(
          'gave up checkpointing the SQLite WAL after an erasure: erased data stays in the -wal file until the next checkpoint (the next erasure, or a restart)',
        );
        this.pendingSince = null;
      } else this.schedule(Math.min(delayMs * 2, MAX_RETRY_MS));
    }, delayMs);
    this.timer.unref();
  }

  private finish(): void {
    if (this.pendingSince === null) return;
    this.clearTimer();
    this.log.info('the SQLite WAL holding erased data is checkpointed and truncated');
    this.pendingSince = null;
  }

  /** One checkpoint on a connection of its own that never waits: true when it completed (no reader in the way). */
  private tryOnce(): boolean {
    // Required here, not at the top: a server on PostgreSQL never loads better-sqlite3 (docs/performance.md, "Idle memory").
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    const db = new Database(this.file!, { fileMustExist: true, timeout: 0 });
    try {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result !== undefined && Number(result.busy) === 0;
    } catch {
      return false; // SQLITE_BUSY: another checkpoint or a writer holds a lock; try again later
    } finally {
      db.close();
    }
  }
}
