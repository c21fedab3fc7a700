import type { FastifyBaseLogger } from 'fastify';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import { ChangeSignal } from './change-signal.js';
import { comparePositions, type EventFilter, type EventLog, type LoggedEvent, type Position } from './event-log.js';

/** Before every event: where a reader of the whole log starts. */
export const LOG_START: Position = { xid: 0n, id: 0n };

export interface EventFeedOptions {
  /** Read the log at least this often while anyone listens, whatever the wake-ups say (a lost NOTIFY loses nothing). */
  pollMs: number;
  /** Recent events kept in memory for subscribers to take from. */
  bufferSize: number;
  /** Rows per read of the log. */
  pageSize?: number;
}

export const matches = (event: LoggedEvent['event'], filter: EventFilter): boolean =>
  (filter.customerId === undefined || event.customer?.id === filter.customerId) && (!filter.types?.length || filter.types.includes(event.type));

/**
 * One reader of the event log per instance, shared by every live subscription: on each wake-up
 * (a commit here, a NOTIFY from another instance, or the poll) it reads what is new once and
 * keeps the most recent events in memory, in commit order; subscriptions take their events from
 * there, filtered, instead of each querying the database. It runs only while someone listens.
 *
 * The buffer holds every event in (floor, head], so a subscriber whose position is in that range
 * gets exactly the events after it; one further behind reads the log itself (`covering` → null).
 */
export class EventFeed {
  private buffer: LoggedEvent[] = [];
  private floor: Position | null = null;
  private head: Position | null = null;
  /** The last answer of covering() for a stream without a filter, while the head has not moved. */
  private lastCovered: { from: Position; head: Position; answer: { events: readonly CarlyEvent[]; position: Position } } | null = null;
  private listeners = 0;
  private running: Promise<void> | null = null;
  private wait: { cancel: () => void } | null = null;
  private readonly closing = new AbortController();
  /** Fired after the feed read new events. */
  readonly arrived = new ChangeSignal();

  constructor(
    private readonly log: EventLog,
    private readonly changes: ChangeSignal,
    private readonly options: EventFeedOptions,
    private readonly logger?: FastifyBaseLogger,
  ) {}

  /** Aborts when the server is shutting down: open streams end so clients reconnect elsewhere. */
  get closed(): AbortSignal {
    return this.closing.signal;
  }

  /** A subscription starts listening; the feed runs while anyone does. Returns the "stop listening". */
  join(): () => void {
    this.listeners++;
    this.running ??= this.run();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.listeners--;
      if (this.listeners === 0) this.wait?.cancel();
    };
  }

  /** Asks for a read now (a subscriber found the log ahead of the feed). */
  poke(): void {
    this.wait?.cancel();
  }

  close(): void {
    this.closing.abort();
    this.arrived.notify();
  }

  /**
   * The events after `position` matching `filter`, from memory, and the position to continue
   * from; null when the memory does not reach back to `position` (read the log instead). The
   * answer may be shared with other callers: read it, never change it.
   */
  covering(position: Position, filter: EventFilter): { events: readonly CarlyEvent[]; position: Position } | null {
    if (!this.head || !this.floor || comparePositions(position, this.floor) < 0) return null;
    if (comparePositions(position, this.head) >= 0) return { events: [], position };
    // Streams without a filter (an admin's, an API key's) that were at the same place get the
    // same answer: one event woken into a thousand streams is one array, not a thousand.
    const unfiltered = filter.customerId === undefined && !filter.types?.length;
    const cached = this.lastCovered;
    if (unfiltered && cached && cached.head === this.head && comparePositions(cached.from, position) === 0) return cached.answer;
    // The first buffered event after `position`.
    let lo = 0;
    let hi = this.buffer.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePositions(this.buffer[mid]!.position, position) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const events: CarlyEvent[] = [];
    for (let i = lo; i < this.buffer.length; i++) if (matches(this.buffer[i]!.event, filter)) events.push(this.buffer[i]!.event);
    const answer = { events, position: this.head };
    if (unfiltered) this.lastCovered = { from: position, head: this.head, answer };
    return answer;
  }

  private async run(): Promise<void> {
    try {
      while (this.listeners > 0 && !this.closing.signal.aborted) {
        // Listen before reading: a commit during the read still wakes the next round.
        const wake = this.changes.next(this.options.pollMs, this.closing.signal);
        this.wait = wake;
        try {
          await this.readNew();
        } catch (err) {
          this.logger?.warn({ err }, 'reading the event log failed; retrying at the next wake-up');
        }
        await wake.promise;
      }
    } finally {
      // Nobody listens: forget, and start from the log's head when someone does again.
      this.wait = null;
      this.buffer = [];
      this.floor = this.head = null;
      this.lastCovered = null;
      this.running = null;
      if (this.listeners > 0 && !this.closing.signal.aborted) this.running = this.run();
    }
  }

  private async readNew(): Promise<void> {
    if (!this.head) {
      const head = await this.log.head();
      this.head = this.floor = head?.position ?? LOG_START;
      // Subscribers waiting for the feed to reach them look again.
      this.arrived.notify();
    }
    const pageSize = this.options.pageSize ?? 500;
    for (;;) {
      const batch = await this.log.read(this.head, pageSize);
      if (batch.length === 0) return;
      this.buffer.push(...batch);
      const excess = this.buffer.length - this.options.bufferSize;
      if (excess > 0) this.floor = this.buffer.splice(0, excess)[excess - 1]!.position;
      this.head = batch[batch.length - 1]!.position;
      this.arrived.notify();
      if (batch.length < pageSize) return;
    }
  }
}
