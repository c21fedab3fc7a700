/**
 * "Events were committed": an in-process wake-up for whoever reads the event log (live
 * subscriptions, the webhook fan-out). Only a hint to look again: the log stays the truth, so a
 * missed or extra wake-up loses nothing. On PostgreSQL, other instances' commits arrive through
 * LISTEN/NOTIFY and are passed on here too.
 */
export class ChangeSignal {
  private waiters = new Set<() => void>();

  /** Wakes every current waiter. */
  notify(): void {
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const wake of waiting) wake();
  }

  /**
   * Resolves at the next notify(), after `timeoutMs` (Infinity: never), or when `signal` aborts,
   * whichever comes first. Register before reading the log, so a commit between the read and the wait still wakes.
   */
  next(timeoutMs: number, signal?: AbortSignal): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // No timer for an endless wait: many waiters (one per live stream) would each arm one per wake-up.
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => done(), timeoutMs) : undefined;
    const done = () => {
      clearTimeout(timer);
      this.waiters.delete(done);
      signal?.removeEventListener('abort', done);
      wake();
    };
    this.waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
    return { promise, cancel: done };
  }

  /**
   * Calls `wake` once, at the next notify(). For many long-lived waiters (one per live stream):
   * the same function registered again and again allocates nothing per wait, where next()'s
   * promise would, and a wait that spans several of the streams' events reaches the old
   * generation of the heap. Registering a function already waiting changes nothing.
   */
  once(wake: () => void): void {
    this.waiters.add(wake);
  }

  /** `wake` (of once()) is not called at the next notify(). */
  forget(wake: () => void): void {
    this.waiters.delete(wake);
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
