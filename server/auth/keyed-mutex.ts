/**
 * Runs tasks one at a time per key (in this process). Password checks for one account queue
 * here, so each sees the failures recorded by the ones before it: parallel guesses cannot
 * slip past the per-account limit, and a correct login never waits on a counter of its own.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      // The last task of a key removes it, so the map holds only keys with work in flight.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
