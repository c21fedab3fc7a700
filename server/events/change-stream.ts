import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import type { EventFeed } from './event-feed.js';
import { comparePositions, type EventFilter, type EventLog, type LoggedEvent, type Position } from './event-log.js';

/** Rows per read when a subscriber catches up from the log itself. */
const BACKLOG_PAGE = 200;
/** A subscriber waiting for the feed is woken at least this often, to notice a shutdown or a lost wake-up. */
const IDLE_CHECK_MS = 5_000;

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
  const push = async function* (events: LoggedEvent[]) {
    if (!events.length) return;
    await options.beforeBatch?.();
    if (!signal.aborted) yield events.map((e) => e.event);
  };
  try {
    while (!signal.aborted) {
      if (feed.closed.aborted) throw new StreamInterrupted('The server is shutting down; reconnect');
      // Registered before looking: whatever arrives from here on wakes the wait below.
      const wake = feed.arrived.next(IDLE_CHECK_MS, signal);
      const live = feed.covering(position, filter);
      if (live) {
        yield* push(live.events);
        position = live.position;
        await wake.promise;
        continue;
      }
      // Behind what the feed keeps in memory (or it has not started yet): read the log itself,
      // up to its head, so "fewer than a page" means "caught up to the head".
      const head = await log.head();
      const page = head ? await log.read(position, BACKLOG_PAGE, filter, head.position) : [];
      const full = page.length === BACKLOG_PAGE;
      yield* push(page);
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
    leave();
  }
}
