import { Counter, Gauge, type Metric } from 'prom-client';

/** The search indexer's Prometheus metrics (search-indexer.ts); registered by ops/metrics.ts with the rest. */
export class SearchIndexMetrics {
  readonly indexed = new Counter({
    name: 'carly_search_indexed_total',
    help: 'New customers this instance wrote into the search indexes (the typo dictionary; FTS5 on SQLite)',
    registers: [],
  });
  readonly failures = new Counter({
    name: 'carly_search_index_failures_total',
    help: 'Search indexer runs that failed (each is retried)',
    registers: [],
  });
  readonly pending: Gauge;

  /** `countPending` answers how many new customers wait for any instance's indexer; read at each scrape. */
  constructor(countPending: () => Promise<number>) {
    this.pending = new Gauge({
      name: 'carly_search_pending',
      help: 'New customers waiting to be written into the search indexes (searches test them directly meanwhile)',
      registers: [],
      async collect() {
        this.set(await countPending());
      },
    });
  }

  get all(): Metric[] {
    return [this.indexed, this.failures, this.pending];
  }
}
