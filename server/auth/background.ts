import type { FastifyBaseLogger } from 'fastify';

/**
 * Work done after the answer has gone out (mail, reset tokens), so that what the answer reveals,
 * its timing included, does not depend on that work. Failures are logged; a shutdown waits for
 * the work still running (`idle`).
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly log: FastifyBaseLogger) {}

  /** Starts `task` on a later turn of the event loop, after the current answer is written. */
  run(what: string, task: () => Promise<void>): void {
    const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(task)
      .catch((err: unknown) => this.log.error({ err }, `${what} failed`))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Resolves once no work is pending (work started meanwhile included). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}
