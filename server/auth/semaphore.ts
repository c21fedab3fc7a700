import { tooManyRequests } from '../errors.js';

/**
 * At most `limit` tasks at once, at most `queueLimit` waiting; past that, refuse at once.
 * bcrypt runs on libuv's thread pool: unbounded, a login flood would take every CPU and
 * starve the rest of the service, so hashes queue here instead.
 */
export class BoundedSemaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.queueLimit) {
        // 429, not 503: the contract's error codes stop at 429 for "come back later".
        throw tooManyRequests('The server is busy checking passwords; retry shortly', 1);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, or free it.
      if (next) next();
      else this.running--;
    }
  }

  get stats() {
    return { running: this.running, waiting: this.waiting.length };
  }
}
