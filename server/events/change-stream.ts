import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import type { EventFeed } from './event-feed.js';
import { comparePositions, type EventFilter, type EventLog, type Position } from './event-log.js';

/** Rows per read when a subscriber catches up from the log itself. */
const BACKLOG_PAGE = 200;

export interface ChangeStreamOptions<T> {
  feed: EventFeed;
  /** The log as this subscriber may read it (its own database connection). */
  log: EventLog;
  /**
   * Where the stream starts (yield the events strictly after `from`) and which events it yields;
   * awaited at the start, so its errors (a malformed or purged Last-Event-Id) reach the reader
   * as the stream's first answer, through `asError`.
   */
  start: () => Promise<{ from: Position; filter: EventFilter }>;
  /** Aborts when the client goes away or the stream reaches its maximum duration. */
  signal: AbortSignal;
  /**
   * Runs before each batch is pushed: throws (or rejects) to end the stream (e.g. the credential
   * was revoked); undefined means "go on" without an await.
   */
  beforeBatch?: () => Promise<void> | undefined;
  /** What the stream yields for one event (the RPC layer's envelope, e.g. tRPC's `tracked`). */
  present: (event: CarlyEvent) => T;
  /** What the stream throws for an error while it runs (the RPC layer's error, e.g. 412 → PRECONDITION_FAILED). */
  asError: (err: unknown) => unknown;
  /** Told when the stream starts and ends, and what it pushes (metrics). */
  observer?: { opened(): void; closed(): void; pushed(events: readonly CarlyEvent[]): void };
}

/** Thrown to end a stream without the tRPC "return" message, so the client reconnects (to another instance). */
export class StreamInterrupted extends Error {
  override name = 'AbortError';
}

/**
 * Every event after the start's `from` matching its `filter`, in commit order, forever: first the backlog
 * from the log, then live events from the shared feed. It never loses an event between the
 * two, because each look registers for the next wake-up BEFORE it looks, so an event that
 * arrives while it looks still wakes it; and it never yields one twice, because its position
 * only moves forward.
 */
export function changeStream<T>(options: ChangeStreamOptions<T>): AsyncIterableIterator<T, void, undefined> {
  return new ChangeStream(options);
}

/**
 * Pulled, not pushed: it looks for events only while its reader waits for one (so a slow reader
 * holds a position, not a queue), and a live event needs no await between the feed's wake-up and
 * the reader: when the feed wakes a thousand streams, each reaches its socket in one turn of the
 * microtask queue instead of one per `await` and `yield` of a generator chain. The turns of all
 * the streams run breadth first, so every turn delays every stream's first byte; and what a
 * stream allocates for a wait that outlives a few scavenges is promoted to the heap's old
 * generation, so a wait allocates nothing but the reader's promise (docs/performance.md,
 * "events and webhooks").
 */
class ChangeStream<T> implements AsyncIterableIterator<T, void, undefined> {
  private position: Position = { xid: 0n, id: 0n };
  private filter: EventFilter = {};
  /** Presented values the reader has not taken yet, from `taken` on. */
  private ready: T[] = [];
  private taken = 0;
  /** The reader's pending `next()`, while nothing is ready. */
  private resolveTake: ((result: IteratorResult<T, void>) => void) | null = null;
  private rejectTake: ((err: unknown) => void) | null = null;
  /** An await (the start, a credential check, a read of the log) is in flight; it looks again when it settles. */
  private busy = false;
  /** The feed woke this stream since its last look registered for it. */
  private woken = false;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private readonly leave: () => void;
  private readonly onAbort = () => this.end();
  /**
   * Registered with the feed before each look (ChangeSignal.once): one function for the stream's
   * life. No timer: the feed wakes its streams on every arrival and when it closes.
   */
  private readonly wakeUp = () => {
    this.woken = true;
    if (!this.busy) this.look();
  };

  constructor(private readonly options: ChangeStreamOptions<T>) {
    this.leave = options.feed.join();
    options.observer?.opened();
    options.signal.addEventListener('abort', this.onAbort, { once: true });
    if (options.signal.aborted) {
      this.end();
      return;
    }
    this.busy = true;
    options.start().then(
      ({ from, filter }) => {
        this.position = from;
        this.filter = filter;
        this.settled();
      },
      (err) => this.settled(err),
    );
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, void>> {
    if (this.taken < this.ready.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.resolveTake = resolve;
      this.rejectTake = reject;
      if (!this.busy) this.look();
    });
  }

  return(): Promise<IteratorResult<T, void>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  private take(): T {
    const value = this.ready[this.taken++]!;
    if (this.taken === this.ready.length) {
      this.ready.length = 0;
      this.taken = 0;
    }
    return value;
  }

  /** Hands the waiting reader what is ready. */
  private hand(): void {
    const resolve = this.resolveTake;
    if (!resolve || this.taken === this.ready.length) return;
    this.resolveTake = this.rejectTake = null;
    resolve({ value: this.take(), done: false });
  }

  /**
   * Finds the next events for a waiting reader: from the feed's memory at once when it reaches
   * back to this position, else from the log; when there are none, waits for the feed (wakeUp).
   */
  private look(): void {
    const { feed } = this.options;
    while (this.resolveTake && !this.busy && !this.ended) {
      if (feed.closed.aborted) {
        this.fail(new StreamInterrupted('The server is shutting down; reconnect'));
        return;
      }
      // Registered before looking: whatever arrives from here on wakes this stream.
      this.woken = false;
      feed.arrived.once(this.wakeUp);
      const live = feed.covering(this.position, this.filter);
      if (!live) {
        // Behind what the feed keeps in memory (or it has not started yet): read the log itself,
        // still registered, so an arrival during the reads is not missed.
        this.busy = true;
        this.catchUp().then(
          (caughtUp) => this.settled(undefined, caughtUp),
          (err) => this.settled(err),
        );
        return;
      }
      if (!live.events.length) {
        this.position = live.position;
        return; // asleep until wakeUp
      }
      // New events: whatever arrives later is found by the next look, which registers anew.
      feed.arrived.forget(this.wakeUp);
      const checking = this.options.beforeBatch?.();
      if (checking) {
        this.busy = true;
        checking.then(
          () => {
            this.position = live.position;
            this.push(live.events);
            this.settled();
          },
          (err) => this.settled(err),
        );
        return;
      }
      this.position = live.position;
      this.push(live.events);
    }
  }

  /**
   * An await ended: fail, or look again for a reader still waiting. `caughtUp`: a read of the log
   * reached a position the feed has not; ask the feed to read now and sleep, unless it woke us meanwhile.
   */
  private settled(err?: unknown, caughtUp = false): void {
    this.busy = false;
    if (this.ended) return;
    if (err !== undefined) {
      this.fail(err);
      return;
    }
    if (caughtUp && !this.woken) {
      this.options.feed.poke();
      return; // asleep until wakeUp (still registered)
    }
    this.look();
  }

  /** Hands the events to the reader (the caller has moved the position past them). */
  private push(events: readonly CarlyEvent[]): void {
    if (this.ended) return;
    this.options.observer?.pushed(events);
    for (const event of events) this.ready.push(this.options.present(event));
    this.hand();
  }

  /**
   * Reads the log up to its head, a page at a time, so "fewer than a page" means "caught up to
   * the head". True when it reached a position the feed's memory does not cover yet.
   */
  private async catchUp(): Promise<boolean> {
    const { log, feed } = this.options;
    const filter = this.filter;
    const head = await log.head();
    const page = head ? await log.read(this.position, BACKLOG_PAGE, filter, head.position) : [];
    const full = page.length === BACKLOG_PAGE;
    if (page.length) {
      await this.options.beforeBatch?.();
      if (this.ended) return false;
    }
    if (full) this.position = page[page.length - 1]!.position;
    else if (head && comparePositions(head.position, this.position) > 0) this.position = head.position;
    if (page.length) this.push(page.map((e) => e.event));
    return !full && !feed.covering(this.position, filter);
  }

  private fail(err: unknown): void {
    const error = this.options.asError(err);
    const reject = this.rejectTake;
    this.resolveTake = this.rejectTake = null;
    if (reject) reject(error);
    else this.failure = { error };
    this.end();
  }

  /** Ends the stream (the reader left, the signal aborted, or it failed): the reader's pending `next()` ends too. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.options.feed.arrived.forget(this.wakeUp);
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.leave();
    this.options.observer?.closed();
    const resolve = this.resolveTake;
    this.resolveTake = this.rejectTake = null;
    resolve?.({ value: undefined, done: true });
  }
}
