import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager, Knex } from '@mikro-orm/knex';
import type BetterSqlite3 from 'better-sqlite3';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import { isPostgres } from '../db/dialect.js';
import { EVENTS_CHANNEL } from '../events/event-rows.js';
import { addToDictionary } from '../search/dictionary.js';
import { SEARCH_COLUMN_NAMES } from '../search/search-keys.js';
import { applySlice, type CustomerState, emailsOf, type ImportEvent, type SliceCounts, type StoredCustomerRow, stateFromRow } from './import-plan.js';
import {
  EVENT_SQL,
  type EventActor,
  eventParams,
  IMPORT_CACHE_KIB,
  INSERT_COLUMNS,
  INSERT_SQL,
  insertParams,
  NewWords,
  SEARCH_WORDS_INDEX,
  SELECT_COLUMNS,
  SQLITE_BATCH_ROWS,
  SqliteImportBatches,
  searchParams,
  updateParams,
} from './sqlite-batch.js';

export { IMPORT_CACHE_KIB, IMPORT_THREAD_CACHE_KIB, SQLITE_BATCH_ROWS } from './sqlite-batch.js';

/**
 * Applies imported rows to the customers table, in transactions the caller delimits (batches).
 * Each row is applied in order as an insert, an update of the fields it carries, or nothing when
 * it changes nothing (import-plan.ts); each insert or update records its own `customer.created` /
 * `customer.updated` event in the same transaction as the row, so a batch commits with its
 * events or not at all.
 */
export interface CustomerWriter {
  /** Writes the rows of a slice (ROW_WIDTH values each, see import-row.ts), opening a transaction if none is open. */
  write(values: readonly Value[]): Promise<SliceCounts>;
  /** Commits the open transaction (if any) and gives the connection back until the next write. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Rolls back anything uncommitted. */
  close(): Promise<void>;
  /** Rows per transaction that suit this database. */
  readonly preferredBatchSize: number;
}

export interface WriterOptions extends EventActor {
  /** Who the rows' events name as actor: the caller of POST /customers/import, or the system job `import`. */
  actor: Actor;
  requestId: string | null;
  /** After each commit that recorded events, with their types (wakes live readers and the webhook fan-out). */
  onEventsCommitted?: (types: readonly EventType[]) => void;
}

type Value = string | number | null;

export async function openCustomerWriter(orm: MikroORM, options: WriterOptions): Promise<CustomerWriter> {
  const knex = (orm.em as unknown as EntityManager).getKnex();
  // Our two drivers: not PostgreSQL is better-sqlite3 (its module is loaded only on SQLite, db/dialect.ts).
  if (!isPostgres(orm.em)) return sqliteWriter(knex.client as unknown as PooledClient, options);
  return knexWriter(orm, knex, options);
}

/** knex's client: its pool hands out the driver's own connection objects. */
export interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/*
 * While an import runs, the connection's own automatic checkpoint (the backstop) is off: a
 * checkpoint run by a commit copies a batch's many index pages on the event loop (measured:
 * 0.3–0.7 s at a time, with checkpoints every 20,000 pages). The process's checkpointer thread
 * (db/wal-checkpointer.ts, started by the server's domain and by `npm run import`) copies the WAL
 * meanwhile. Set back when the import ends.
 */

/**
 * How long the SQLite writer runs statements before it lets the event loop turn. better-sqlite3
 * is synchronous, and a request needs several turns of the loop to be answered (the socket
 * read, the token's verification on the thread pool, the write of the answer): measured, with
 * one turn per 1,000-row slice (~200 ms of statements) reads waited seconds during an import
 * (read p99 6.9 s against 35 ms idle). A turn with nothing to do costs microseconds.
 */
const WRITE_TURN_MS = 5;
/** Measures the writer's time on the event loop; `next()` gives the loop a turn. */
class Turns {
  private started = performance.now();
  get due(): boolean {
    return performance.now() - this.started >= WRITE_TURN_MS;
  }
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}

/**
 * SQLite: statements prepared once on the ORM's better-sqlite3 connection and run one row per
 * call (better-sqlite3 is synchronous: no round trip to save by batching rows into one
 * statement). The connection is taken from knex's pool for one batch only, and the batch is
 * BEGIN IMMEDIATE (the write lock up front): between batches the server's own writes get the
 * connection, so an import over the API never starves them. Within a batch the writer yields
 * every WRITE_TURN_MS (Turns): requests that need no write keep being answered, on the read lane's
 * own connection; anything that needs this connection waits for the batch's commit.
 */
function sqliteWriter(client: PooledClient, options: WriterOptions): CustomerWriter {
  const prepared = new WeakMap<BetterSqlite3.Database, SqliteImportBatches>();
  let db: BetterSqlite3.Database | null = null;
  let batches: SqliteImportBatches | null = null;
  let previousCache = 0;
  /** The connection's wal_autocheckpoint before the import turned it off; null when it is not off. */
  let previousAutocheckpoint: number | null = null;

  const release = async () => {
    const held = db;
    db = null;
    batches = null;
    if (!held) return;
    try {
      if (held.inTransaction) held.exec('rollback');
      held.pragma(`cache_size = ${previousCache}`);
    } finally {
      await client.releaseConnection(held);
    }
  };
  /** Gives the connection its automatic checkpoints back. */
  const endCheckpoints = async () => {
    const previous = previousAutocheckpoint;
    previousAutocheckpoint = null;
    if (previous === null) return;
    const connection = (await client.acquireConnection()) as BetterSqlite3.Database;
    try {
      connection.pragma(`wal_autocheckpoint = ${previous}`);
    } finally {
      await client.releaseConnection(connection);
    }
  };
  let last: SqliteImportBatches | null = null;
  const close = async () => {
    last?.rollback();
    try {
      await release();
    } finally {
      await endCheckpoints();
    }
  };

  return {
    preferredBatchSize: SQLITE_BATCH_ROWS,
    async write(values) {
      if (!db || !batches) {
        db = (await client.acquireConnection()) as BetterSqlite3.Database;
        previousCache = Number(db.pragma('cache_size', { simple: true }));
        db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`);
        if (previousAutocheckpoint === null && !db.memory) {
          previousAutocheckpoint = Number(db.pragma('wal_autocheckpoint', { simple: true }));
          db.pragma('wal_autocheckpoint = 0');
        }
        batches = prepared.get(db) ?? new SqliteImportBatches(db, options);
        prepared.set(db, batches);
        last = batches;
        batches.begin();
      }
      // The writer yields every WRITE_TURN_MS (Turns) at the batch's pauses.
      const turns = new Turns();
      const steps = batches.write(values);
      for (;;) {
        const step = steps.next();
        if (step.done) return step.value;
        if (turns.due) await turns.next();
      }
    },
    async commit() {
      if (!db || !batches) return;
      const types = batches.commit();
      await release();
      if (types.length) options.onEventsCommitted?.(types);
    },
    rollback: async () => {
      batches?.rollback();
      await release();
    },
    close,
  };
}

/** Rows per statement elsewhere: 22 parameters each stays well under PostgreSQL's 65,535. */
const STATEMENT_ROWS = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * PostgreSQL: multi-row statements through knex, 1,000 rows per round trip. The batch's rows are
 * read `for update`, so a concurrent API write to one of them waits for the batch instead of
 * being overwritten by a decision taken on what it replaced.
 */
function knexWriter(orm: MikroORM, knex: Knex, options: WriterOptions): CustomerWriter {
  const platform = orm.em.getPlatform();
  const date = (ms: number) => platform.processDateProperty(new Date(ms)) as unknown;
  let trx: Knex.Transaction | null = null;
  const dictionary = new NewWords();
  let now = 0;
  let types: EventType[] = [];

  const raw = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const result = (await trx!.raw(sql, params as Knex.RawBinding[])) as { rows?: T[] };
    return result.rows ?? [];
  };
  const end = async (how: 'commit' | 'rollback') => {
    const t = trx;
    trx = null;
    if (t && !t.isCompleted()) await t[how]();
  };

  return {
    preferredBatchSize: 10_000,
    async write(values) {
      if (!trx) {
        trx = await knex.transaction();
        // This batch writes its rows' words into the dictionary itself: its new rows skip the
        // search indexer's queue (search_pending; see Migration20261207090000).
        await raw("select set_config('carly.search_direct', 'on', true)", []);
        now = Date.now();
        types = [];
      }
      const states = new Map<string, CustomerState>();
      for (const emails of chunks(emailsOf(values), STATEMENT_ROWS)) {
        const rows = await raw<StoredCustomerRow>(
          `select ${SELECT_COLUMNS} from customers where email in (${emails.map(() => '?').join(', ')}) for update`,
          emails,
        );
        for (const row of rows) states.set(row.email, stateFromRow(row));
      }
      const events: ImportEvent[] = [];
      const counts = applySlice(values, states, now, events);
      const dirty = [...states.values()].filter((s) => s.dirty);
      for (const part of chunks(
        dirty.filter((s) => s.isNew),
        STATEMENT_ROWS,
      )) {
        await raw(
          INSERT_SQL + part.map(() => `(${Array(INSERT_COLUMNS).fill('?').join(', ')})`).join(', '),
          part.flatMap((s) => insertParams(s, date)),
        );
      }
      for (const part of chunks(
        dirty.filter((s) => !s.isNew),
        STATEMENT_ROWS,
      )) {
        await raw(
          'update customers as c set first_name = v.first_name, last_name = v.last_name, first_name_key = v.first_name_key, ' +
            'last_name_key = v.last_name_key, phone = v.phone, company = v.company, address = v.address, metadata = v.metadata, ' +
            `updated_at = v.updated_at, version = v.version, ${SEARCH_COLUMN_NAMES.map((c) => `${c} = v.${c}`).join(', ')} from (values ` +
            part
              .map(() => `(?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::timestamptz, ?::int, ${SEARCH_COLUMN_NAMES.map(() => '?::text').join(', ')}, ?)`)
              .join(', ') +
            `) as v(first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, updated_at, version, ${SEARCH_COLUMN_NAMES.join(', ')}, email) ` +
            'where c.email = v.email',
          part.flatMap((s) => updateParams(s, date)),
        );
      }
      // New words into the typo dictionary, in the batch's transaction (search/dictionary.ts).
      const words = dirty.flatMap((s) => dictionary.unseen(searchParams(s)[SEARCH_WORDS_INDEX] as string));
      const t = trx;
      await addToDictionary((statement, bindings) => t.raw(statement, bindings as Knex.RawBinding[]), words);
      const at = date(now);
      // The transaction's id orders the events among concurrent commits (events/event-log.ts).
      for (const part of chunks(events, STATEMENT_ROWS)) {
        await raw(
          EVENT_SQL + part.map(() => '(pg_current_xact_id()::text::bigint, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)').join(', '),
          part.flatMap((e) => eventParams(e, at, options)),
        );
      }
      for (const e of events) types.push(e.type);
      return counts;
    },
    async commit() {
      if (!trx) return;
      // A wake-up for every instance's readers, delivered when the batch commits.
      if (types.length) await raw(`select pg_notify('${EVENTS_CHANNEL}', '')`, []);
      await end('commit');
      if (types.length) options.onEventsCommitted?.(types);
      types = [];
    },
    rollback: () => {
      dictionary.forget();
      return end('rollback');
    },
    close: () => {
      dictionary.forget();
      return end('rollback');
    },
  };
}
