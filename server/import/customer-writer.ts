import type BetterSqlite3 from 'better-sqlite3';
import type { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { EntityManager, Knex } from '@mikro-orm/knex';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import { EVENTS_CHANNEL } from '../db/write-transaction.js';
import { applySlice, emailsOf, stateFromRow, type CustomerState, type ImportEvent, type SliceCounts, type StoredCustomerRow } from './import-plan.js';

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

export interface WriterOptions {
  /** Who the rows' events name as actor: the caller of POST /customers/import, or the system job `import`. */
  actor: Actor;
  requestId: string | null;
  /** After each commit that recorded events, with their types (wakes live readers and the webhook fan-out). */
  onEventsCommitted?: (types: readonly EventType[]) => void;
}

type Value = string | number | null;

export async function openCustomerWriter(orm: MikroORM, options: WriterOptions): Promise<CustomerWriter> {
  const knex = (orm.em as unknown as EntityManager).getKnex();
  if (orm.em.getDriver() instanceof BetterSqliteDriver) return sqliteWriter(orm, knex.client as unknown as PooledClient, options);
  return knexWriter(orm, knex, options);
}

/** knex's client: its pool hands out the driver's own connection objects. */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

const SELECT_COLUMNS =
  'public_id, email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, created_at, updated_at, version';
const INSERT_SQL =
  'insert into customers (public_id, email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, created_at, updated_at, version) values ';
const EVENT_SQL = 'insert into events (xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data) values ';

const insertParams = (s: CustomerState, date: (ms: number) => unknown): unknown[] => [
  s.publicId, s.email, s.firstName, s.lastName, s.firstNameKey, s.lastNameKey, s.phone, s.company, s.address, s.metadata,
  date(s.createdAt), date(s.updatedAt), s.version,
];
const updateParams = (s: CustomerState, date: (ms: number) => unknown): unknown[] => [
  s.firstName, s.lastName, s.firstNameKey, s.lastNameKey, s.phone, s.company, s.address, s.metadata, date(s.updatedAt), s.version, s.email,
];
const eventParams = (e: ImportEvent, at: unknown, options: WriterOptions): unknown[] => [
  e.type, at, e.customerId, e.email, e.version, JSON.stringify(e.changed), options.actor.type, options.actor.id, options.requestId,
];

/**
 * The import's page cache: large enough to keep most of the indexes' hot pages during a batch
 * (cache misses are re-reads from the OS), small enough for the memory budget.
 */
const IMPORT_CACHE_KIB = 32 * 1024;
/**
 * Checkpoint the WAL about every 80 MB instead of every 4 MB while a batch writes: each batch
 * rewrites many index pages, and copying them into the database file (with an fsync) after every
 * few thousand rows costs more than the inserts. Set back when the batch gives the connection back.
 */
const IMPORT_WAL_CHECKPOINT_PAGES = 20_000;

/**
 * SQLite: statements prepared once on the ORM's better-sqlite3 connection and run one row per
 * call (better-sqlite3 is synchronous: no round trip to save by batching rows into one
 * statement). The connection is taken from knex's pool for one batch only, and the batch is
 * BEGIN IMMEDIATE (the write lock up front): between batches the server's own writes get the
 * connection, so an import over the API never starves them.
 */
function sqliteWriter(orm: MikroORM, client: PooledClient, options: WriterOptions): CustomerWriter {
  const platform = orm.em.getPlatform();
  const date = (ms: number) => platform.processDateProperty(new Date(ms)) as unknown;
  const prepared = new WeakMap<BetterSqlite3.Database, ReturnType<typeof prepare>>();
  const prepare = (db: BetterSqlite3.Database) => ({
    select: db.prepare<[string], StoredCustomerRow>(`select ${SELECT_COLUMNS} from customers where email = ?`),
    insert: db.prepare(`${INSERT_SQL}(${Array(13).fill('?').join(', ')})`),
    update: db.prepare(
      'update customers set first_name = ?, last_name = ?, first_name_key = ?, last_name_key = ?, phone = ?, company = ?, ' +
        'address = ?, metadata = ?, updated_at = ?, version = ? where email = ?',
    ),
    // One writer at a time: id order is commit order, xid stays 0 (events/event-log.ts).
    event: db.prepare(`${EVENT_SQL}(0, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)`),
  });
  let db: BetterSqlite3.Database | null = null;
  let previousCache = 0;
  let previousCheckpoint = 0;
  let now = 0;
  let types: EventType[] = [];

  const release = async () => {
    const held = db;
    db = null;
    if (!held) return;
    try {
      if (held.inTransaction) held.exec('rollback');
      held.pragma(`cache_size = ${previousCache}`);
      held.pragma(`wal_autocheckpoint = ${previousCheckpoint}`);
    } finally {
      await client.releaseConnection(held);
    }
  };

  return {
    preferredBatchSize: 10_000,
    async write(values) {
      if (!db) {
        db = (await client.acquireConnection()) as BetterSqlite3.Database;
        previousCache = Number(db.pragma('cache_size', { simple: true }));
        previousCheckpoint = Number(db.pragma('wal_autocheckpoint', { simple: true }));
        db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`);
        db.pragma(`wal_autocheckpoint = ${IMPORT_WAL_CHECKPOINT_PAGES}`);
        db.exec('begin immediate');
        now = Date.now();
        types = [];
      }
      let statements = prepared.get(db);
      if (!statements) prepared.set(db, (statements = prepare(db)));
      const states = new Map<string, CustomerState>();
      for (const email of emailsOf(values)) {
        const row = statements.select.get(email);
        if (row) states.set(email, stateFromRow(row));
      }
      const events: ImportEvent[] = [];
      const counts = applySlice(values, states, now, events);
      for (const s of states.values()) {
        if (!s.dirty) continue;
        if (s.isNew) statements.insert.run(insertParams(s, date));
        else statements.update.run(updateParams(s, date));
      }
      const at = date(now);
      for (const e of events) {
        statements.event.run(eventParams(e, at, options));
        types.push(e.type);
      }
      return counts;
    },
    async commit() {
      if (!db) return;
      db.exec('commit');
      await release();
      if (types.length) options.onEventsCommitted?.(types);
      types = [];
    },
    rollback: release,
    close: release,
  };
}

/** Rows per statement elsewhere: 13 parameters each stays well under PostgreSQL's 65,535. */
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
      for (const part of chunks(dirty.filter((s) => s.isNew), STATEMENT_ROWS)) {
        await raw(INSERT_SQL + part.map(() => `(${Array(13).fill('?').join(', ')})`).join(', '), part.flatMap((s) => insertParams(s, date)));
      }
      for (const part of chunks(dirty.filter((s) => !s.isNew), STATEMENT_ROWS)) {
        await raw(
          'update customers as c set first_name = v.first_name, last_name = v.last_name, first_name_key = v.first_name_key, ' +
            'last_name_key = v.last_name_key, phone = v.phone, company = v.company, address = v.address, metadata = v.metadata, ' +
            'updated_at = v.updated_at, version = v.version from (values ' +
            part.map(() => '(?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::timestamptz, ?::int, ?)').join(', ') +
            ') as v(first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, updated_at, version, email) ' +
            'where c.email = v.email',
          part.flatMap((s) => updateParams(s, date)),
        );
      }
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
    rollback: () => end('rollback'),
    close: () => end('rollback'),
  };
}
