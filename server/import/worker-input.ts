/**
 * How the import's threads get the input's bytes from the main thread, on request, so memory stays
 * flat whatever the input's size (parse-worker.ts, sqlite-import-worker.ts):
 *   worker → main  need                 send me the next chunk of the input
 *   main → worker  chunk | end | abort  a chunk (copied), the end of input, or "reading failed"
 * The worker keeps at most `readAhead` chunks asked for or waiting.
 */
export type InputMessage = { t: 'chunk'; data: Uint8Array } | { t: 'end' } | { t: 'abort' };
export type NeedMessage = { t: 'need' };

/** Reading the input failed on the main thread (it keeps the error: the worker only stops). */
export class InputAborted extends Error {
  override name = 'InputAborted';
}

/** The worker's side: the chunks the main thread sent, as an async iterable of Buffers. */
export class WorkerInput {
  private readonly chunks: Uint8Array[] = [];
  private requested = 0;
  private ended = false;
  private aborted = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly send: (message: NeedMessage) => void,
    private readonly readAhead: number,
  ) {}

  /** Takes an input message; false when `message` is not one (the caller handles it). */
  take(message: { t: string }): boolean {
    const m = message as InputMessage;
    if (m.t === 'chunk') {
      this.requested--;
      this.chunks.push(m.data);
    } else if (m.t === 'end') this.ended = true;
    else if (m.t === 'abort') this.aborted = true;
    else return false;
    this.wake?.();
    this.wake = null;
    return true;
  }

  async *bytes(): AsyncGenerator<Buffer> {
    for (;;) {
      // Keep a few chunks asked for, so reading the input overlaps parsing.
      while (!this.ended && !this.aborted && this.requested + this.chunks.length < this.readAhead) {
        this.requested++;
        this.send({ t: 'need' });
      }
      const chunk = this.chunks.shift();
      if (chunk) {
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        continue;
      }
      if (this.aborted) throw new InputAborted('reading the input failed');
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/**
 * The main thread's side: answers each `need` with the input's next chunk, in order. A failing
 * input is kept in `error` and the worker told to abort.
 */
export class InputFeeder {
  /** The input is read to its end, or failed. */
  done = false;
  error: unknown;
  private reading = Promise.resolve();
  private readonly source: AsyncIterator<Buffer | string>;

  constructor(
    input: AsyncIterable<Buffer | string>,
    private readonly post: (message: InputMessage) => void,
  ) {
    this.source = input[Symbol.asyncIterator]();
  }

  /** One `need`: reads are chained, so chunks go out in order. */
  next(): void {
    this.reading = this.reading.then(async () => {
      if (this.done) return;
      try {
        const next = await this.source.next();
        if (next.done) {
          this.done = true;
          this.post({ t: 'end' });
        } else {
          const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
          this.post({ t: 'chunk', data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) });
        }
      } catch (err) {
        this.done = true;
        this.error = err;
        this.post({ t: 'abort' });
      }
    });
  }

  /** Stops reading the input (when the worker stopped first). */
  async close(): Promise<void> {
    if (!this.done) await this.source.return?.();
  }
}
