import { FTS_COLUMNS } from './fts-columns.js';

/**
 * SQLite's search watermark (Migration20261207120000): every customer up to `search_indexed.upto`
 * is in FTS5 and the typo dictionary, none after it (one writer at a time and AUTOINCREMENT ids
 * make id order commit order). Its two writers, the search indexer (search-indexer.ts) and an
 * import batch (import/sqlite-batch.ts, also loaded by the import's worker thread: no ORM here),
 * index the oldest rows after it and move it with these statements.
 */

/**
 * The customers after the watermark, as rows `c`: a range of the primary key `p` read first,
 * then each customer by id. The CROSS JOINs fix that order: with `c` joined on the range itself,
 * a test on one of its columns (`c.name_fold = ?`) made SQLite build an automatic index over every
 * customer instead (test/search-plan.test.ts fails on that). No WHERE: callers add theirs.
 */
export const AFTER_WATERMARK = 'from search_indexed w cross join customers p on p.id > w.upto cross join customers c on c.id = p.id';

/** The oldest customers after the watermark with their words, in id order (all of them without a limit). */
export const unindexedSql = (limit?: number) => `select c.id, c.search_words ${AFTER_WATERMARK} order by c.id${limit === undefined ? '' : ` limit ${limit}`}`;

/**
 * The customers after the watermark up to an id (the last one read by `unindexedSql`), their
 * current text into FTS5 (external content: it stores what it is given).
 */
export const INDEX_FTS_UP_TO_SQL = `insert into customers_search (rowid, ${FTS_COLUMNS.join(', ')}) select c.id, ${FTS_COLUMNS.map((col) => `c.${col}`).join(', ')} ${AFTER_WATERMARK} where c.id <= ?`;

/** The watermark past the rows just indexed (the id given to INDEX_FTS_UP_TO_SQL). */
export const MOVE_WATERMARK_SQL = 'update search_indexed set upto = ?';
