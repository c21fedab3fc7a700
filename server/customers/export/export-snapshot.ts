import type { Config } from '../../config.js';
import { DomainError } from '../../errors.js';
import { eventId } from '../../events/event-log.js';
import type { CustomerRow } from '../customer.mapper.js';
import type { CustomerFilter } from './export-filter.js';

/** The customers an export reads, in one order, with the export's filter plugged in at one place. */
function exportSql(filter: CustomerFilter | null): { sql: string; params: unknown[] } {
  let where = '';
  if (filter) {
    // The filter comes with its dialect's placeholders (`?`, or `$1…` on PostgreSQL) and the
    // statement has none of its own, so it goes in as it is.
    where = ` where ${filter.where}`;
  }
  return {
    sql: `select c.public_id, c.email, c.first_name, c.last_name, c.phone, c.company, c.address, c.metadata, c.created_at, c.updated_at, c.version from customers c${where} order by c.id`,
    params: filter?.params ?? [],
  };
}

type ExportRow = Omit<CustomerRow, 'id' | 'last_name_key'>;

/**
 * One consistent snapshot of the customers and of the event log, read by one export:
 * `eventsAfter` is the newest event the snapshot holds (null while the log is empty), so the
 * export plus `GET /events?after=eventsAfter` holds every change exactly once. `rows()` yields
 * the customers in pages; `close()` ends the snapshot at once (idempotent).
 */
export interface ExportSnapshot {
  eventsAfter: string | null;
  rows(): AsyncGenerator<ExportRow[]>;
  close(): Promise<void>;
}

/** Rows per page read from the database (a page is then written before the next is read). */
const PAGE_ROWS = 200;

export function openExportSnapshot(database: Config['database'], filter: CustomerFilter | null): Promise<ExportSnapshot> {
  return database.kind === 'sqlite' ? sqliteSnapshot(database.file, filter) : postgresSnapshot(database.url, filter);
}

/**
 * SQLite: a read transaction on a read-only connection of the export's own (the shared read
 * lane's connection must keep seeing new commits). In WAL mode the transaction's snapshot is
 * fixed by its first read and writers never wait for it; while it is open the WAL cannot be
 * checkpointed past it, which is why `close()` ends it the moment the client goes away.
 */
async function sqliteSnapshot(file: string, filter: CustomerFilter | null): Promise<ExportSnapshot> {
  // Each dialect's driver is loaded by the first export on it, not at start (docs/performance.md, "Idle memory").
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let closed = false;
  try {
    db.pragma('busy_timeout = 5000');
    db.exec('begin');
    // The first read fixes the snapshot: the event log's head and the customers are read in it.
    const head = db.prepare('select max(id) as id from events').get() as { id: number | bigint | null };
    const { sql, params } = exportSql(filter);
    const statement = db.prepare<unknown[], ExportRow>(sql);
    const close = async () => {
      if (closed) return;
      closed = true;
      try {
        if (db.inTransaction) db.exec('rollback');
      } finally {
        db.close();
      }
    };
    return {
      eventsAfter: head.id === null ? null : eventId(head.id),
      async *rows() {
        let page: ExportRow[] = [];
        for (const row of statement.iterate(...params)) {
          page.push(row);
          if (page.length === PAGE_ROWS) {
            yield page;
            page = [];
          }
        }
        if (page.length > 0) yield page;
      },
      close,
    };
  } catch (err) {
    if (!closed) db.close();
    throw err;
  }
}

/** How long an export waits for a snapshot the event log can be cut at (see below) before answering 503. */
const CLEAN_SNAPSHOT_WAIT_MS = 30_000;

/**
 * PostgreSQL: `REPEATABLE READ READ ONLY` on a connection of the export's own (never the read
 * lane's pool, which serves every request), read through a server-side cursor a page at a time.
 *
 * The cursor into the event log must split it exactly where the snapshot does. Events are read
 * in (xid, id) order, and only those of transactions older than every transaction still running
 * (events/event-log.ts). A snapshot can be cut there when every event it sees belongs to a
 * transaction older than its own xmin: then "in the snapshot" = "at or before the newest event
 * it sees", and every later change comes after that event in the log. When a transaction that
 * started earlier is still running while later ones committed (a long write), the snapshot is
 * retaken a moment later, for up to 30 s, then 503. Writers never wait for an export.
 */
async function postgresSnapshot(url: string, filter: CustomerFilter | null): Promise<ExportSnapshot> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, application_name: 'carly-export' });
  client.on('error', () => {});
  await client.connect();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Ending the connection ends its transaction at once, wherever the export stood.
    await client.end().catch(() => {});
  };
  try {
    const started = Date.now();
    let eventsAfter: string | null | undefined;
    for (let attempt = 0; eventsAfter === undefined; attempt++) {
      await client.query('begin isolation level repeatable read read only');
      const xmin = (await client.query<{ xmin: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin')).rows[0]!.xmin;
      const late = await client.query('select 1 from events where xid >= $1 limit 1', [xmin]);
      if (late.rowCount === 0) {
        const head = await client.query<{ id: string }>('select id from events order by xid desc, id desc limit 1');
        eventsAfter = head.rows[0] ? eventId(head.rows[0].id) : null;
        break;
      }
      await client.query('rollback');
      if (Date.now() - started > CLEAN_SNAPSHOT_WAIT_MS) {
        throw new DomainError('SERVICE_UNAVAILABLE', 'A long write is in progress; the export could not take a consistent snapshot. Retry shortly', 5);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * (attempt + 1))));
    }
    const { sql, params } = exportSql(filter);
    await client.query(`declare carly_export no scroll cursor for ${sql}`, params);
    return {
      eventsAfter,
      async *rows() {
        for (;;) {
          const page = await client.query<ExportRow>(`fetch ${PAGE_ROWS} from carly_export`);
          if (page.rows.length === 0) return;
          yield page.rows;
          if (page.rows.length < PAGE_ROWS) return;
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
