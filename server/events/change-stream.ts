import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import type { EventFeed } from './event-feed.js';
import { comparePositions, type EventFilter, type EventLog, type Position } from './event-log.js';

/** Rows per read when a subscriber catches up from the log itself. */
const BACKLOG_PAGE = 200;
/** A subscriber waiting for the feed needs no timer: the feed wakes it on every arrival and on close. */
const IDLE_CHECK_MS = Number.POSITIVE_INFINITY;

export interface ChangeStreamOptions {
  feed: EventFeed;
  /** The log as this subscriber may read it (its own database connection). */
  log: EventLog;
  /** Yield the events strictly after this position. */
  from: Position;
  filter: EventFilter;
  /** Aborts when the client goes away or the stream reaches its maximum duration. */
  signal: AbortSignal;
  /** Runs before each batch is pushed: throws to end the stream (e.g. the credential was revoked). */
  beforeBatch?: () => Promise<void>;
  /** Told when the stream starts and ends, and what it pushes (metrics). */
  observer?: { opened(): void; closed(): void; pushed(events: readonly CarlyEvent[]): void };
}

/** Thrown to end a stream without the tRPC "return" message, so the client reconnects (to another instance). */
export class StreamInterrupted extends Error {
  override name = 'AbortError';
}

/**
 * Every event after `from` matching `filter`, in commit order, forever: first the backlog
 * from the log, then live events from the shared feed. It never loses an event between the
 * two, because each round registers for the next wake-up BEFORE it looks, so an event that
 * arrives while it looks still wakes it; and it never yields one twice, because its position
 * only moves forward.
 */
export async function* changeStream(options: ChangeStreamOptions): AsyncGenerator<CarlyEvent[], void, undefined> {
  const { feed, log, filter, signal } = options;
  let position = options.from;
  const leave = feed.join();
  options.observer?.opened();
  // One abort listener for the stream's life, not one per wait (there is a wait per event).
  let wake: { promise: Promise<void>; cancel: () => void } | null = null;
  const onAbort = () => wake?.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal.aborted) {
      if (feed.closed.aborted) throw new StreamInterrupted('The server is shutting down; reconnect');
      // Registered before looking: whatever arrives from here on wakes the wait below. The feed
      // wakes its streams on every arrival and when it closes; the timeout is a safety net.
      wake = feed.arrived.next(IDLE_CHECK_MS);
      const live = feed.covering(position, filter);
      if (live) {
        if (live.events.length) {
          await options.beforeBatch?.();
          if (signal.aborted) return;
          const events = live.events.map((e) => e.event);
          options.observer?.pushed(events);
          yield events;
        }
        position = live.position;
        await wake.promise;
        continue;
      }
      // Behind what the feed keeps in memory (or it has not started yet): read the log itself,
      // up to its head, so "fewer than a page" means "caught up to the head".
      const head = await log.head();
      const page = head ? await log.read(position, BACKLOG_PAGE, filter, head.position) : [];
      const full = page.length === BACKLOG_PAGE;
      if (page.length) {
        await options.beforeBatch?.();
        if (signal.aborted) return;
        const events = page.map((e) => e.event);
        options.observer?.pushed(events);
        yield events;
      }
      if (full) position = page[page.length - 1]!.position;
      else if (head && comparePositions(head.position, position) > 0) position = head.position;
      if (full || feed.covering(position, filter)) {
        wake.cancel();
        continue;
      }
      // The feed has not reached this position yet: ask it to read now, and wait for it.
      feed.poke();
      await wake.promise;
    }
  } finally {
    wake?.cancel();
    signal.removeEventListener('abort', onAbort);
    leave();
    options.observer?.closed();
  }
}
