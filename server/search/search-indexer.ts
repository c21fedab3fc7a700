import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import { BackgroundBatches, type BatchOutcome } from '../db/background-batches.js';
import { isPostgres } from '../db/dialect.js';
import type { WriteLane } from '../db/write-lane.js';
import { fromPending } from './query-sql.js';
import { wordsOf } from './search-keys.js';
import type { SearchIndexMetrics } from './search-metrics.js';
import { addWordsOnLane } from './search-writes.js';
import { INDEX_FTS_UP_TO_SQL, MOVE_WATERMARK_SQL, unindexedSql } from './sqlite-watermark.js';

/** New customers indexed per transaction. */
export const INDEX_BATCH = 500;
/**
 * SEARCH_INDEX_DELAY_MS's default. FTS5 pays per transaction (a segment flushed and merged per
 * commit), so a second's creates in one transaction cost less than a tenth's (docs/performance.md,
 * "The search watermark and the indexer's delay").
 */
export const DEFAULT_INDEX_DELAY_MS = 1000;
/** When pending rows are held by another instance's run (PostgreSQL), or a run failed. */
const RETRY_MS = 250;
/** New customers another process created (or a wake-up missed) are indexed by then. */
const SWEEP_MS = 5_000;

/** The indexer's statements, prepared once on the write lane (db/write-lane.ts). */
const LANE = {
  // SQLite has one writer at a time: the batch is simply the oldest customers after the watermark.
  take: {
    name: 'carly_search_index_take',
    sql: {
      sqlite: unindexedSql(INDEX_BATCH),
      // Several instances: each takes rows no other run holds, and deletes them as it takes them.
      // FOR SHARE: an update or erasure of one of these customers waits for this batch's commit
      // (and one already under way is waited for, then its row read), so the words it replaces
      // or erases are forgotten after this batch wrote them, never before: no word of a renamed
      // or erased person is left behind (search-writes.ts, forgetReplacedWords / unindexCustomer).
      postgresql:
        'with taken as (delete from search_pending where customer_id in ' +
        `(select customer_id from search_pending order by customer_id limit ${INDEX_BATCH} for update skip locked) returning customer_id) ` +
        'select c.id, c.search_words from taken join customers c on c.id = taken.customer_id for share of c',
    },
  },
  // SQLite only: the batch's current text into FTS5, then the watermark past it (sqlite-watermark.ts).
  fts: { name: 'carly_search_index_fts', sql: INDEX_FTS_UP_TO_SQL },
  done: { name: 'carly_search_index_done', sql: MOVE_WATERMARK_SQL },
  left: {
    name: 'carly_search_index_left',
    sql: { sqlite: `select 1 as found ${fromPending('sqlite')} limit 1`, postgresql: 'select 1 as found from search_pending limit 1' },
  },
};

/** How many new customers wait for an indexer (the metric `carly_search_pending`; a scrape reads it, never a request). */
export async function countPending(em: EntityManager): Promise<number> {
  const [row] = await em.execute<{ n: number | string }[]>(`select count(*) as n ${fromPending(isPostgres(em) ? 'postgresql' : 'sqlite')}`);
  return Number(row?.n ?? 0);
}

/**
 * Indexes one batch of new customers, in one transaction: their words into the typo dictionary
 * (each distinct word of the batch once, with its characters) and, on SQLite, their text into
 * FTS5; then they leave the queue (PostgreSQL: search_pending) or the watermark moves past them
 * (SQLite: search_indexed). Until then searches test them directly (customer-search.ts), so what this
 * changes is cost, never results: one FTS5 segment and one dictionary statement per batch
 * instead of per create.
 */
export async function indexPendingBatch(emOf: () => EntityManager, lane: WriteLane): Promise<number> {
  const em = emOf();
  const postgres = isPostgres(em);
  return em.transactional(async (tx) => {
    const rows = await lane.all<{ id: number | string; search_words: string }>(tx, LANE.take, []);
    if (!rows.length) return 0;
    // The batch is the oldest rows after the watermark: on SQLite, every row up to its last id.
    const lastId = Number(rows[rows.length - 1]!.id);
    if (!postgres) await lane.run(tx, LANE.fts, [lastId]);
    // A batch's distinct words, each once (names, companies and mail domains repeat a lot).
    await addWordsOnLane(
      lane,
      tx,
      rows.flatMap((r) => wordsOf(r.search_words)),
    );
    if (!postgres) await lane.run(tx, LANE.done, [lastId]);
    return rows.length;
  });
}

/** Whether new customers wait for the indexer (committed, not yet indexed). */
async function pendingLeft(em: EntityManager, lane: WriteLane): Promise<boolean> {
  return (await lane.one(em, LANE.left, [])) !== null;
}

/**
 * Runs `indexPendingBatch` shortly after commits that created customers (`wake`), and every few
 * seconds whatever happens (db/background-batches.ts). `delayMs` is SEARCH_INDEX_DELAY_MS: how
 * long the creates of a moment gather before one transaction indexes them.
 */
export class SearchIndexer extends BackgroundBatches {
  constructor(emOf: () => EntityManager, lane: WriteLane, log: FastifyBaseLogger, delayMs: number, metrics: SearchIndexMetrics) {
    super(
      {
        async runBatch(): Promise<BatchOutcome> {
          const indexed = await indexPendingBatch(emOf, lane);
          metrics.indexed.inc(indexed);
          return indexed === INDEX_BATCH ? 'more' : 'done';
        },
        workLeft: () => pendingLeft(emOf(), lane),
      },
      {
        wakeDelayMs: delayMs,
        retryMs: Math.max(RETRY_MS, delayMs),
        sweepMs: Math.max(SWEEP_MS, delayMs),
        failure: 'search indexing failed; retrying',
        onFailure: () => metrics.failures.inc(),
      },
      log,
    );
  }
}
