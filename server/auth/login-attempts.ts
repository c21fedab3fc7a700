import type { Limit, Throttle } from './throttle.js';

/**
 * Password checks in flight, per throttle key, in this process.
 *
 * A check counts against a limit from the moment it starts, not only once its failure is
 * recorded: otherwise parallel guesses all see the failures recorded so far and all pass
 * (the probe got 65 through a limit of 50 with 90 parallel guesses). When the recorded failures
 * plus the checks in flight fill a limit, a new check waits for one of them to finish and looks
 * again: a wrong password is recorded, a right one frees its place. So a check is refused (429)
 * only once recorded failures alone fill the limit, and a correct login is never refused because
 * others were in flight.
 *
 * Reading the counts and taking a place is one step under a process-wide lock (two indexed
 * reads; bcrypt, which takes far longer, runs outside it). Other instances' checks in flight are
 * not seen here: across N instances, up to N times a limit can be checked at once in the worst case.
 */
export class LoginAttempts {
  private readonly inFlight = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private lock: Promise<unknown> = Promise.resolve();

  /** Takes a place under every limit, waiting while checks in flight fill one; 429 once failures alone do. */
  async begin(limits: Limit[], throttle: Throttle): Promise<Attempt> {
    let wokenOn: string | undefined;
    for (;;) {
      let queued: { key: string; woken: Promise<void> } | undefined;
      try {
        queued = await this.exclusive(async () => {
          const counted = await throttle.check(limits);
          const full = limits.find((l) => (counted.get(l.key) ?? 0) + this.count(l.key) >= l.max);
          if (!full) {
            for (const l of limits) this.add(l.key, 1);
            return undefined;
          }
          // Queued inside the lock, so a place freed after this look cannot be missed.
          return { key: full.key, woken: new Promise<void>((resolve) => this.queue(full.key).push(resolve)) };
        });
      } catch (err) {
        // Refused: the wake-up this check received goes to the next in line, so none is left waiting.
        if (wokenOn) this.wakeOne(wokenOn);
        throw err;
      }
      if (!queued) return new Attempt(this, limits, throttle);
      // Waiting again on the key it was woken for means a newcomer took the freed place, and that
      // one's end wakes the next; waiting on another key, the wake-up goes to the next in line.
      if (wokenOn && wokenOn !== queued.key) this.wakeOne(wokenOn);
      await queued.woken;
      wokenOn = queued.key;
    }
  }

  /** How many checks of this key are in flight in this process. */
  count(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  /** @internal Ends an attempt: records its failure (when it failed) and frees its places, as one step. */
  async finish(limits: Limit[], throttle: Throttle, failed: boolean): Promise<void> {
    const release = () => {
      for (const l of limits) {
        this.add(l.key, -1);
        this.wakeOne(l.key);
      }
    };
    if (!failed) return release();
    await this.exclusive(async () => {
      try {
        await throttle.record(limits.map((l) => l.key));
      } finally {
        release();
      }
    });
  }

  private wakeOne(key: string) {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.waiting.delete(key);
    next?.();
  }

  private queue(key: string): (() => void)[] {
    let q = this.waiting.get(key);
    if (!q) this.waiting.set(key, (q = []));
    return q;
  }

  private add(key: string, delta: number) {
    const n = this.count(key) + delta;
    if (n > 0) this.inFlight.set(key, n);
    else this.inFlight.delete(key);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** One password check holding its places; `failed()` or `done()` ends it exactly once. */
export class Attempt {
  private ended = false;

  constructor(
    private readonly owner: LoginAttempts,
    private readonly limits: Limit[],
    private readonly throttle: Throttle,
  ) {}

  /** A wrong password: counted under every key, then the places are freed. */
  failed(): Promise<void> {
    return this.end(true);
  }

  /** A right password, or a check that could not run: nothing is counted. */
  done(): Promise<void> {
    return this.end(false);
  }

  private async end(failed: boolean): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.owner.finish(this.limits, this.throttle, failed);
  }
}
