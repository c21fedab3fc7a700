import type { CarlyEvent, EventListQuery, EventPage } from '../../client-sdk/src/schemas/events.js';
import type { Clock } from '../clock.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import type { Caller } from '../identity/identity.js';
import { changeStream } from './change-stream.js';
import { type EventFeed, LOG_START } from './event-feed.js';
import { type EventFilter, EventLog } from './event-log.js';
import type { EventMetrics } from './event-metrics.js';

/** A customer without a record matches no event (public ids are never empty). */
const NOTHING: EventFilter = { customerId: '' };

export interface ChangesRequest<T> {
  caller: Caller;
  lastEventId: string | null;
  signal: AbortSignal;
  /** Runs before each batch is pushed; throws to end the stream (see events.router.ts). Undefined: go on. */
  beforeBatch?: () => Promise<void> | undefined;
  /** What the stream yields per event, and throws for an error while it runs (the RPC layer's envelope and error). */
  present: (event: CarlyEvent) => T;
  asError: (err: unknown) => unknown;
}

/** Reading the event log: pages for pollers, live streams for subscribers. */
export class EventsService {
  private readonly log: EventLog;

  constructor(
    private readonly writes: WriteTransactions,
    private readonly feed: EventFeed,
    private readonly clock: Clock,
    private readonly metrics?: EventMetrics,
  ) {
    this.log = new EventLog(() => writes.entityManager);
  }

  async list(query: EventListQuery): Promise<EventPage> {
    const page = await this.log.page(query.after ?? null, query.limit, query.types ? { types: query.types } : {});
    return { items: page.items, nextCursor: page.position };
  }

  /**
   * The caller's events after `lastEventId` (or from now on), in commit order, as they commit:
   * every event for an admin or an API key (the procedure admitted them), only its own
   * record's for a customer, one `present`ed value per event. A bad or purged `lastEventId` (400/412)
   * is the stream's first answer, before any event.
   */
  changes<T>(request: ChangesRequest<T>): AsyncIterableIterator<T, void, undefined> {
    const metrics = this.metrics;
    const clock = this.clock;
    return changeStream({
      feed: this.feed,
      log: this.log,
      start: async () => ({
        filter: await this.filterFor(request.caller),
        from: request.lastEventId ? await this.log.positionOf(request.lastEventId) : ((await this.log.head())?.position ?? LOG_START),
      }),
      signal: request.signal,
      beforeBatch: request.beforeBatch,
      present: request.present,
      asError: request.asError,
      observer: metrics && {
        opened: () => metrics.subscribers.inc(),
        closed: () => metrics.subscribers.dec(),
        pushed: (events) => {
          const now = clock.now().getTime();
          for (const e of events) metrics.deliveryLag.observe(Math.max(0, now - e.occurredAt.getTime()) / 1000);
        },
      },
    });
  }

  private async filterFor(caller: Caller): Promise<EventFilter> {
    if (caller.kind === 'apiKey' || caller.user.role === 'admin') return {};
    const [row] = await this.writes.entityManager.execute<{ public_id: string }[]>(
      'select c.public_id from users u join customers c on c.id = u.customer_id where u.id = ?',
      [caller.user.id],
    );
    return row ? { customerId: row.public_id } : NOTHING;
  }
}
