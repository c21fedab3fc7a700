import type { FastifyBaseLogger } from 'fastify';
import { runInBackground } from './background-work.js';

/** What one batch of a background job did. */
export type BatchOutcome =
  /** A full batch: more may be waiting, run again at once. */
  | 'more'
  /** Everything it could take is done. */
  | 'done'
  /** Another instance holds the work (PostgreSQL): try again shortly. */
  | 'busy';

export interface BatchJob {
  /** Does one batch in its own short transaction. */
  runBatch(): Promise<BatchOutcome>;
  /** Whether work still waits after a run (held back by an open transaction, or added meanwhile). */
  workLeft(): Promise<boolean>;
}

export interface BackgroundBatchesOptions {
  /** A wake-up waits this long, so the commits of that moment are handled in one run. */
  wakeDelayMs: number;
  /** When work is left after a run, or a run failed. */
  retryMs: number;
  /** A run every so often whatever happens (another process's writes, a missed wake-up). */
  sweepMs: number;
  /** Logged (with the error) when a run fails. */
  failure: string;
  /** Called when a run fails (after the log line): a feature's failure counter. */
  onFailure?: () => void;
}

/**
 * Runs a feature's batch job soon after its writers call `wake`, again shortly while work is
 * left, and on a slow sweep. Runs never overlap within a process. The audit chainer and the
 * search indexer are such jobs: writers never wait for them.
 */
export class BackgroundBatches {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly sweep: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly job: BatchJob,
    private readonly options: BackgroundBatchesOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.sweep = setInterval(() => this.wake(), options.sweepMs);
    this.sweep.unref();
  }

  /** Run soon (commits call this). */
  wake(delayMs = this.options.wakeDelayMs): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, delayMs);
    this.timer.unref();
  }

  /** Does everything doable now; resolves when done (tests and shutdown wait on it). */
  drain(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    // The server's own work, not the request whose commit woke it (App.queryCount).
    this.running = runInBackground(() => this.loop()).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    let retry = false;
    do {
      this.again = false;
      try {
        let outcome: BatchOutcome;
        do outcome = await this.job.runBatch();
        while (outcome === 'more' && !this.stopped);
        retry = outcome === 'busy' || (!this.stopped && (await this.job.workLeft()));
      } catch (err) {
        this.log.warn({ err }, this.options.failure);
        this.options.onFailure?.();
        retry = true;
      }
    } while (this.again && !this.stopped);
    if (retry) this.wake(this.options.retryMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
