import type BetterSqlite3 from 'better-sqlite3';
import type { MikroORM } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { EntityManager, Knex } from '@mikro-orm/knex';
import { CustomerEntity } from '../db/customer.entity.js';
import { Col, ROW_WIDTH, SEARCH_COLUMNS } from './import-row.js';
import { addToDictionary } from '../search/dictionary.js';
import { dictionaryRows, wordsOf } from '../search/search-keys.js';
import { newCustomerId } from '../customers/customer.mapper.js';
import { EVENTS_CHANNEL } from '../events/event-rows.js';

/**
 * Upserts imported customers by email, in transactions the caller delimits. Each row is applied
 * as an insert or an update in the order given: a new email gets version 1 and its row's
 * createdAt (or now); an existing one keeps its id, email and createdAt, gets every other field
 * replaced, version + 1 and updatedAt = now ("now" is the start of the transaction).
 */
export interface CustomerWriter {
  /**
   * Writes the rows of a slice (ROW_WIDTH values each, see import-row.ts), opening a transaction
   * if none is open, and answers how many of them inserted a new customer.
   */
  write(values: readonly Value[]): Promise<number>;
  /**
   * Records the import's one `customers.imported` event (its counts as `data`, acting as the
   * system job `import`) in the open transaction, opening one if none is, so it commits with
   * the rows written last.
   */
  recordImported(counts: ImportCounts): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Rolls back anything uncommitted and gives the connection back. */
  close(): Promise<void>;
  /** Rows per transaction that suit this database. */
  readonly preferredBatchSize: number;
}

export async function openCustomerWriter(orm: MikroORM): Promise<CustomerWriter> {
  const em = orm.em as unknown as EntityManager;
  const knex = em.getKnex();
  const sql = new UpsertSql(orm);
  if (orm.em.getDriver() instanceof BetterSqliteDriver) {
    return openSqliteWriter(orm, knex.client as unknown as PooledClient, sql);
  }
  return openKnexWriter(orm, knex, sql);
}

export interface ImportCounts {
  read: number;
  inserted: number;
  updated: number;
  rejected: number;
}

/** The event row's columns after xid (see db/event.entity.ts): no customer, nothing "changed", the counts as data. */
const IMPORT_EVENT_COLUMNS = 'type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data';
const IMPORT_EVENT_VALUES = "'customers.imported', ?, null, null, null, '[]', 'system', 'import', null, ?";
const countsJson = (c: ImportCounts) => JSON.stringify({ read: c.read, inserted: c.inserted, updated: c.updated, rejected: c.rejected });

/** knex's client: its pool hands out the driver's own connection objects. */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/** The upsert statement, portable between SQLite (3.35+) and PostgreSQL, with names from the entity metadata. */
class UpsertSql {
  private readonly head: string;
  private readonly tail: string;
  private readonly returning: string;
  private readonly tuple: string;
  private cache = new Map<number, string>();

  constructor(orm: MikroORM) {
    const meta = orm.getMetadata().get(CustomerEntity.name);
    const q = (id: string) => `"${id.replaceAll('"', '""')}"`;
    const column = (p: keyof CustomerEntity) => q(meta.properties[p]!.fieldNames[0]!);
    const table = q(meta.tableName);
    const inserted = (
      ['email', 'firstName', 'lastName', 'firstNameKey', 'lastNameKey', 'phone', 'company', 'address', 'metadata', ...SEARCH_COLUMNS, 'createdAt', 'updatedAt', 'version', 'publicId'] as const
    ).map(column);
    const replaced = (['firstName', 'lastName', 'firstNameKey', 'lastNameKey', 'phone', 'company', 'address', 'metadata', ...SEARCH_COLUMNS, 'updatedAt'] as const)
      .map(column)
      .map((c) => `${c} = excluded.${c}`);
    const version = column('version');
    this.tuple = `(${inserted.map(() => '?').join(', ')})`;
    this.head = `insert into ${table} (${inserted.join(', ')}) values `;
    // The inserted version is the number of file rows a tuple stands for (1 unless an email
    // repeats within one statement), so the returned version equals it exactly when the row is new.
    this.tail = ` on conflict (${column('email')}) do update set ${replaced.join(', ')}, ${version} = ${table}.${version} + excluded.${version}`;
    this.returning = ` returning ${column('email')} as "email", ${version} as "version"`;
  }

  /** The statement for `rows` tuples of PARAMS_PER_ROW parameters, optionally returning each row's email and new version. */
  forRows(rows: number, returning: boolean): string {
    const key = returning ? -rows : rows;
    let s = this.cache.get(key);
    if (s === undefined) {
      if (this.cache.size > 8) this.cache.clear();
      s = this.head + Array(rows).fill(this.tuple).join(', ') + this.tail + (returning ? this.returning : '');
      this.cache.set(key, s);
    }
    return s;
  }
}

type Value = string | number | null;

/** Statement parameters per row: the row's columns, then updatedAt, version and a new public id. */
const PARAMS_PER_ROW = ROW_WIDTH + 3;

/** The statement parameters of one row of a slice (a new customer's public id is unused on update). */
function bindRow(out: unknown[], at: number, values: readonly Value[], row: number, count: number, now: unknown, date: (ms: number) => unknown) {
  const o = row * ROW_WIDTH;
  for (let c = 0; c < Col.createdAt; c++) out[at + c] = values[o + c];
  const createdAt = values[o + Col.createdAt];
  out[at + Col.createdAt] = createdAt === null ? now : date(createdAt as number);
  out[at + Col.createdAt + 1] = now; // updatedAt
  out[at + Col.createdAt + 2] = count; // version (of a new row)
  out[at + Col.createdAt + 3] = newCustomerId();
}

/**
 * The import's page cache: large enough to keep most of the indexes' hot pages during a batch
 * (cache misses are re-reads from the OS), small enough for the 300 MB memory budget.
 */
const IMPORT_CACHE_KIB = 32 * 1024;
/**
 * Checkpoint the WAL about every 80 MB instead of every 4 MB: each 50,000-row batch rewrites many
 * index pages, and copying them into the database file (with an fsync) after every batch costs
 * more than the inserts.
 */
const IMPORT_WAL_CHECKPOINT_PAGES = 20_000;

/**
 * SQLite: the statements run straight on the ORM's better-sqlite3 connection (knex keeps one),
 * prepared once and reused, one row per call: better-sqlite3 is synchronous, so there is no
 * round trip to save by batching rows into one statement, and re-preparing a 12,000-parameter
 * statement per batch (what knex.raw does) costs more than the inserts' own bookkeeping.
 * Transactions are BEGIN IMMEDIATE (take the write lock up front; a server writing to the same
 * file waits up to its busy_timeout). The page cache is raised while importing: with several
 * indexes over random keys (email, createdAt) a small cache makes every commit rewrite the
 * same index pages into the WAL.
 */
async function openSqliteWriter(
  orm: MikroORM,
  client: PooledClient,
  sql: UpsertSql,
): Promise<CustomerWriter> {
  const db = (await client.acquireConnection()) as BetterSqlite3.Database;
  const platform = orm.em.getPlatform();
  const date = (ms: number) => platform.processDateProperty(new Date(ms)) as unknown;
  const previousCache = db.pragma('cache_size', { simple: true }) as number;
  const previousCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma(`cache_size = ${-IMPORT_CACHE_KIB}`);
  db.pragma(`wal_autocheckpoint = ${IMPORT_WAL_CHECKPOINT_PAGES}`);
  const upsert = db.prepare(sql.forRows(1, false));
  // SQLite has one writer: id order is commit order, xid stays 0 (see events/event-log.ts).
  const insertEvent = db.prepare(`insert into events (xid, ${IMPORT_EVENT_COLUMNS}) values (0, ${IMPORT_EVENT_VALUES})`);
  // Counting inserts: SQLite sets the connection's last insert rowid only when a row is really
  // inserted (not when the upsert turns into an update), and the table's AUTOINCREMENT never
  // reuses a rowid, so a changed value means a new customer. (RETURNING would tell too, but it
  // makes SQLite buffer every row's result and costs about a quarter of the insert itself.)
  const readLastRowid = db.prepare('select last_insert_rowid()').pluck();
  let lastRowid = (readLastRowid.get() as number | bigint) ?? 0;
  let now: unknown = null;
  let released = false;
  const params: unknown[] = Array(PARAMS_PER_ROW);
  const addWord = db.prepare('insert into search_words (variant, word) values (?, ?) on conflict do nothing');
  const dictionary = new NewWords();

  return {
    preferredBatchSize: 50_000,
    async write(values) {
      if (!db.inTransaction) {
        db.exec('begin immediate');
        now = date(Date.now());
      }
      let inserted = 0;
      const rows = values.length / ROW_WIDTH;
      for (let row = 0; row < rows; row++) {
        bindRow(params, 0, values, row, 1, now, date);
        const { lastInsertRowid } = upsert.run(params);
        if (lastInsertRowid !== lastRowid) {
          inserted++;
          lastRowid = lastInsertRowid;
        }
        const entries = dictionaryRows(dictionary.unseen(values[row * ROW_WIDTH + Col.searchWords] as string));
        for (const [variant, word] of entries) addWord.run(variant, word);
        // Those inserts moved the connection's last insert rowid: take it as the new baseline.
        if (entries.length) lastRowid = readLastRowid.get() as number | bigint;
      }
      return inserted;
    },
    async recordImported(counts) {
      if (!db.inTransaction) db.exec('begin immediate');
      insertEvent.run(date(Date.now()), countsJson(counts));
    },
    async commit() {
      if (db.inTransaction) db.exec('commit');
    },
    async rollback() {
      if (db.inTransaction) db.exec('rollback');
      dictionary.forget();
    },
    async close() {
      if (released) return;
      released = true;
      try {
        if (db.inTransaction) db.exec('rollback');
        db.pragma(`cache_size = ${Number(previousCache)}`);
        db.pragma(`wal_autocheckpoint = ${Number(previousCheckpoint)}`);
        // Copy what the import left in the WAL into the database file now (without waiting
        // for readers), rather than leaving it to whichever write comes next.
        db.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        await client.releaseConnection(db);
      }
    },
  };
}

/**
 * The words an import has already put in the typo dictionary (names and companies repeat a lot:
 * each distinct word is written once per import, not once per row). Forgotten on a rollback,
 * which takes the words back out with it.
 */
class NewWords {
  private seen = new Set<string>();
  unseen(searchWords: string): string[] {
    // Bounded (emails' local parts are mostly unique words): past the cap, words are re-written (no-ops) rather than remembered.
    if (this.seen.size > 200_000) this.seen.clear();
    const fresh = wordsOf(searchWords).filter((w) => !this.seen.has(w));
    for (const w of fresh) this.seen.add(w);
    return fresh;
  }
  forget(): void {
    this.seen.clear();
  }
}

/** Rows per statement elsewhere: 22 parameters each stays well under PostgreSQL's 65,535. */
const STATEMENT_ROWS = 1000;

/**
 * Any other SQL database (PostgreSQL): multi-row statements through knex, 1,000 rows per round
 * trip. An email repeated within one statement is merged first (the last row's fields, the
 * first row's createdAt, one version per row), as one statement cannot touch a row twice.
 */
async function openKnexWriter(orm: MikroORM, knex: Knex, sql: UpsertSql): Promise<CustomerWriter> {
  const platform = orm.em.getPlatform();
  const date = (ms: number) => platform.processDateProperty(new Date(ms)) as unknown;
  let trx: Knex.Transaction | null = null;
  let now: unknown = null;
  const dictionary = new NewWords();

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
        now = date(Date.now());
      }
      const rows = values.length / ROW_WIDTH;
      let inserted = 0;
      for (let from = 0; from < rows; from += STATEMENT_ROWS) {
        // email -> [the row that wins (the last), the first row (its createdAt counts), rows merged]
        const merged = new Map<string, [number, number, number]>();
        for (let row = from; row < Math.min(from + STATEMENT_ROWS, rows); row++) {
          const email = values[row * ROW_WIDTH + Col.email] as string;
          const seen = merged.get(email);
          if (seen) {
            seen[0] = row;
            seen[2]++;
          } else merged.set(email, [row, row, 1]);
        }
        const params: unknown[] = Array(merged.size * PARAMS_PER_ROW);
        let at = 0;
        for (const [last, first, count] of merged.values()) {
          bindRow(params, at, values, last, count, now, date);
          const createdAt = values[first * ROW_WIDTH + Col.createdAt];
          params[at + Col.createdAt] = createdAt === null ? now : date(createdAt as number);
          at += PARAMS_PER_ROW;
        }
        const result = (await trx.raw(sql.forRows(merged.size, true), params as Knex.RawBinding[])) as
          | { rows?: { email: string; version: number }[] }
          | { email: string; version: number }[];
        const returned = Array.isArray(result) ? result : (result.rows ?? []);
        for (const r of returned) if (Number(r.version) === merged.get(r.email)?.[2]) inserted++;
      }
      const words: string[] = [];
      for (let row = 0; row < rows; row++) words.push(...dictionary.unseen(values[row * ROW_WIDTH + Col.searchWords] as string));
      const t = trx;
      await addToDictionary((statement, bindings) => t.raw(statement, bindings as Knex.RawBinding[]), words);
      return inserted;
    },
    async recordImported(counts) {
      trx ??= await knex.transaction();
      // The transaction's id orders the event among concurrent commits (events/event-log.ts);
      // the NOTIFY wakes every instance's readers when it commits.
      await trx.raw(`insert into events (xid, ${IMPORT_EVENT_COLUMNS}) values (pg_current_xact_id()::text::bigint, ${IMPORT_EVENT_VALUES})`, [
        date(Date.now()) as Knex.RawBinding,
        countsJson(counts),
      ]);
      await trx.raw(`select pg_notify('${EVENTS_CHANNEL}', '')`);
    },
    commit: () => end('commit'),
    rollback: () => {
      dictionary.forget();
      return end('rollback');
    },
    close: () => end('rollback'),
  };
}
