import type BetterSqlite3 from 'better-sqlite3';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import { CUSTOMER_INSERT_COLUMNS } from '../customers/customer-writes.js';
import { ADD_CHAR_SQL, ADD_WORD_SQL } from '../search/dictionary.js';
import { dictionaryEntries, SEARCH_COLUMN_NAMES, SEARCH_COLUMNS, searchColumnValues, searchKeys, wordsOf } from '../search/search-keys.js';
import { INDEX_FTS_UP_TO_SQL, MOVE_WATERMARK_SQL, unindexedSql } from '../search/sqlite-watermark.js';
import { applySlice, type CustomerState, emailsOf, type ImportEvent, type SliceCounts, type StoredCustomerRow, stateFromRow } from './import-plan.js';
import { ROW_WIDTH } from './import-row.js';

/**
 * The statements an import writes and their parameters, shared by the SQLite batches below (on
 * the event loop or on the import's own thread) and the PostgreSQL writer (customer-writer.ts).
 * No ORM here: this module is loaded by the import's worker thread too.
 */
export const SELECT_COLUMNS =
  'public_id, email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, created_at, updated_at, version';
/** Columns an insert writes, in the customers feature's order (insertParams binds them in it). */
export const INSERT_COLUMNS = CUSTOMER_INSERT_COLUMNS.length;
export const INSERT_SQL = `insert into customers (${CUSTOMER_INSERT_COLUMNS.join(', ')}) values `;
export const EVENT_SQL =
  'insert into events (xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data) values ';

/** A date as the dialect binds it (SQLite: epoch ms; PostgreSQL: what the ORM's platform makes of it). */
export type DateParam = (ms: number) => unknown;

/** The search columns of a customer as the batch leaves it (what every other writer computes too). */
export function searchParams(s: CustomerState): unknown[] {
  const keys = searchKeys({
    email: s.email,
    firstName: s.firstName,
    lastName: s.lastName,
    phone: s.phone,
    company: s.company,
    address: s.address === null ? null : JSON.parse(s.address),
    metadata: JSON.parse(s.metadata) as Record<string, string>,
  });
  return searchColumnValues(keys);
}

/** The editable columns, in the order both the insert and the update bind them. */
const fieldParams = (s: CustomerState): unknown[] => [s.firstName, s.lastName, s.firstNameKey, s.lastNameKey, s.phone, s.company, s.address, s.metadata];

export const insertParams = (s: CustomerState, date: DateParam): unknown[] => [
  s.publicId,
  s.email,
  ...fieldParams(s),
  date(s.createdAt),
  date(s.updatedAt),
  s.version,
  ...searchParams(s),
];
/** An update's parameters: the customer's fields, the search columns, then the email it is keyed by. */
export const updateParams = (s: CustomerState, date: DateParam): unknown[] => [...fieldParams(s), date(s.updatedAt), s.version, ...searchParams(s), s.email];
export const SEARCH_WORDS_INDEX = SEARCH_COLUMNS.findIndex(([key]) => key === 'searchWords');
const SEARCH_WORDS_PARAM = 13 + SEARCH_WORDS_INDEX;

/** Who the rows' events name, and the request that imported them. */
export interface EventActor {
  actor: Actor;
  requestId: string | null;
}

export const eventParams = (e: ImportEvent, at: unknown, by: EventActor): unknown[] => [
  e.type,
  at,
  e.customerId,
  e.email,
  e.version,
  JSON.stringify(e.changed),
  by.actor.type,
  by.actor.id,
  by.requestId,
];

/**
 * The words an import has already put in the typo dictionary (names and companies repeat a lot:
 * each distinct word is written once per import, not once per row). Forgotten on a rollback,
 * which takes the words back out with it. An update leaves the words it replaced in the
 * dictionary: a stale word costs one lookup and matches nobody (search/dictionary.ts).
 */
export class NewWords {
  private seen = new Set<string>();
  unseen(searchWords: string): string[] {
    // Bounded (emails' local parts are mostly unique words): past the cap, words are re-written (no-ops) rather than remembered.
    if (this.seen.size > 20_000) this.seen.clear();
    const fresh = wordsOf(searchWords).filter((w) => !this.seen.has(w));
    for (const w of fresh) this.seen.add(w);
    return fresh;
  }
  forget(): void {
    this.seen.clear();
  }
}

/**
 * The import's page cache on SQLite: large enough to keep most of the indexes' hot pages during
 * a batch (cache misses are re-reads from the OS), small enough for the memory budget.
 */
export const IMPORT_CACHE_KIB = 32 * 1024;
/**
 * The page cache of the import's own connection on its thread (POST /customers/import): a second
 * cache beside the server's, counted in the server's memory growth during an import (≤ 64 MB,
 * issue 20). Measured at 100,000 rows: 8 MiB instead of 32 took the bare floor from ~4,000 to
 * ~3,150 rows/s, and the server's growth from +93 to +66 MiB (the floor uses the same cache).
 */
export const IMPORT_THREAD_CACHE_KIB = 8 * 1024;
/** Rows per SQLite transaction: each batch's states, statements' parameters and events are held at once, so this bounds the import's memory. */
export const SQLITE_BATCH_ROWS = 5_000;
/** Rows planned at once within a slice (their states read, then compared with them): a few ms of work. */
const PART_ROWS = 100;

/** SQLite binds a date as epoch ms (as MikroORM stores `datetime` there). */
const epochMs: DateParam = (ms) => ms;

/**
 * Batches of imported rows on one better-sqlite3 connection, synchronously: `begin` takes the
 * write lock (BEGIN IMMEDIATE), `write` applies rows in order (an insert, an update of the fields
 * a row carries, or nothing; import-plan.ts) with each change's event in the same transaction,
 * `commit` answers the events' types. Statements are prepared once per connection and run one row
 * per call (better-sqlite3 is synchronous: there is no round trip to save by batching rows).
 *
 * `write` is a generator that pauses after each planned part, each row written and each event:
 * on the event loop the caller gives other requests a turn at those points (customer-writer.ts);
 * on the import's own thread it simply runs to the end (sqlite-import-worker.ts).
 */
export class SqliteImportBatches {
  private readonly statements;
  private readonly dictionary = new NewWords();
  private now = 0;
  private types: EventType[] = [];

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly by: EventActor,
  ) {
    this.statements = {
      select: db.prepare<[string], StoredCustomerRow>(`select ${SELECT_COLUMNS} from customers where email = ?`),
      insert: db.prepare(`${INSERT_SQL}(${Array(INSERT_COLUMNS).fill('?').join(', ')})`),
      update: db.prepare(
        'update customers set first_name = ?, last_name = ?, first_name_key = ?, last_name_key = ?, phone = ?, company = ?, ' +
          `address = ?, metadata = ?, updated_at = ?, version = ?, ${SEARCH_COLUMN_NAMES.map((c) => `${c} = ?`).join(', ')} where email = ?`,
      ),
      addWord: db.prepare(ADD_WORD_SQL),
      addChar: db.prepare(ADD_CHAR_SQL),
      // One writer at a time: id order is commit order, xid stays 0 (events/event-log.ts).
      event: db.prepare(`${EVENT_SQL}(0, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)`),
      // Every customer after the search watermark (this batch's and any create's before it) into
      // the search indexes, then the watermark past them: the search indexer's statements.
      unindexed: db.prepare<[], { id: number; search_words: string }>(unindexedSql()),
      fts: db.prepare(INDEX_FTS_UP_TO_SQL),
      indexedUpTo: db.prepare(MOVE_WATERMARK_SQL),
    };
  }

  /** A transaction is open. */
  get open(): boolean {
    return this.db.inTransaction;
  }

  begin(): void {
    this.db.exec('begin immediate');
    this.now = Date.now();
    this.types = [];
  }

  /** Applies a slice's rows (ROW_WIDTH values each) in the open transaction; pauses (yields) between small steps; answers the counts. */
  *write(values: readonly (string | number | null)[]): Generator<void, SliceCounts> {
    const { statements, now } = this;
    const counts: SliceCounts = { inserted: 0, updated: 0, unchanged: 0 };
    // In parts of PART_ROWS rows, each read, applied and written in turn: a part's plan is short
    // (the rows' order, and so their events' order, is kept).
    for (let start = 0; start < values.length; start += PART_ROWS * ROW_WIDTH) {
      const part = values.slice(start, start + PART_ROWS * ROW_WIDTH);
      const states = new Map<string, CustomerState>();
      for (const email of emailsOf(part)) {
        const row = statements.select.get(email);
        if (row) states.set(email, stateFromRow(row));
      }
      const events: ImportEvent[] = [];
      const partCounts = applySlice(part, states, now, events);
      counts.inserted += partCounts.inserted;
      counts.updated += partCounts.updated;
      counts.unchanged += partCounts.unchanged;
      yield;
      for (const s of states.values()) {
        if (!s.dirty) continue;
        const params = s.isNew ? insertParams(s, epochMs) : updateParams(s, epochMs);
        if (s.isNew) statements.insert.run(params);
        else statements.update.run(params);
        // An update's parameters have the search columns 3 places earlier (no public id, email or createdAt before them).
        const searchWords = params[s.isNew ? SEARCH_WORDS_PARAM : SEARCH_WORDS_PARAM - 3] as string;
        const entries = dictionaryEntries(this.dictionary.unseen(searchWords));
        for (const word of entries.words) statements.addWord.run(word);
        for (const ch of entries.chars) statements.addChar.run(ch);
        yield;
      }
      for (const e of events) {
        statements.event.run(eventParams(e, now, this.by));
        this.types.push(e.type);
        yield;
      }
    }
    return counts;
  }

  /** Commits the open transaction; answers the types of the events it recorded, in order. */
  commit(): EventType[] {
    this.indexNewCustomers();
    this.db.exec('commit');
    const types = this.types;
    this.types = [];
    return types;
  }

  /**
   * The batch indexes its new customers itself, in its own transaction (one FTS5 segment for the
   * batch), rather than leave thousands of rows for the search indexer to catch up on: the rows
   * after the watermark, which are this batch's and the creates committed just before it. Their
   * words mostly went into the dictionary as they were written (`write`); `unseen` skips those.
   */
  private indexNewCustomers(): void {
    const { statements } = this;
    const rows = statements.unindexed.all();
    if (!rows.length) return;
    for (const row of rows) {
      const entries = dictionaryEntries(this.dictionary.unseen(row.search_words));
      for (const word of entries.words) statements.addWord.run(word);
      for (const ch of entries.chars) statements.addChar.run(ch);
    }
    const lastId = rows[rows.length - 1]!.id;
    statements.fts.run(lastId);
    statements.indexedUpTo.run(lastId);
  }

  /** Rolls back the open transaction, if any (the words it wrote go with it). */
  rollback(): void {
    this.dictionary.forget();
    this.types = [];
    if (this.db.inTransaction) this.db.exec('rollback');
  }
}
