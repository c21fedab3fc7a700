/**
 * What the bare floor servers share: a customer row as each driver returns it and its REST shape
 * (bare-server.ts, bare-pg-server.ts and the two export floors), and NDJSON written in chunks with
 * `drain` backpressure (bare-export-server.ts, bare-pg-export-server.ts). Nothing here comes from
 * server/: the read floors make the REST shape themselves rather than run Carly's mapper.
 */
import type http from 'node:http';

/** The columns Carly's REST body is made from, as the floors select them. */
export const CUSTOMER_COLUMNS = 'public_id, email, first_name, last_name, phone, company, address, metadata, created_at, updated_at, version';

/** The columns both drivers return as they are. */
interface CustomerRowBase {
  public_id: string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  company: string | null;
  /** int on both: a number (no exported column is a bigint, which pg would return as a string). */
  version: number;
}

/** A customers row from better-sqlite3: JSON as text, times as epoch milliseconds. */
export interface SqliteCustomerRow extends CustomerRowBase {
  address: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
}

/** A customers row from pg. */
export interface PgCustomerRow extends CustomerRowBase {
  /** jsonb: pg parses it. */
  address: unknown;
  metadata: unknown;
  /** timestamptz: pg makes a Date. */
  created_at: Date;
  updated_at: Date;
}

/** The REST shape of a customer (as GET /customers/{email} and the export write it), from either driver's row. */
function restShape(row: CustomerRowBase, address: unknown, metadata: unknown, createdAt: string, updatedAt: string) {
  return {
    id: row.public_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    phone: row.phone,
    company: row.company,
    address,
    metadata,
    createdAt,
    updatedAt,
    version: row.version,
  };
}

export const restFromPgRow = (r: PgCustomerRow) => restShape(r, r.address, r.metadata, r.created_at.toISOString(), r.updated_at.toISOString());

export const restFromSqliteRow = (r: SqliteCustomerRow) =>
  restShape(
    r,
    r.address === null ? null : JSON.parse(r.address),
    JSON.parse(r.metadata),
    new Date(r.created_at).toISOString(),
    new Date(r.updated_at).toISOString(),
  );

/** Up to this many bytes of lines are joined before one socket write (Carly's stream also writes in chunks). */
const CHUNK_BYTES = 64 * 1024;

/**
 * NDJSON lines to `res` in ~64 KiB writes. `add` returns a promise only when the socket buffer is
 * full (it settles on `drain`), so the common case costs no await per row; `closed` turns true
 * when the client goes away (the caller then stops reading).
 */
export class NdjsonChunks {
  closed = false;
  private buffer = '';

  constructor(private readonly res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
    res.on('close', () => {
      this.closed = true;
    });
  }

  add(value: unknown): Promise<void> | undefined {
    this.buffer += `${JSON.stringify(value)}\n`;
    if (this.buffer.length < CHUNK_BYTES) return undefined;
    const more = this.res.write(this.buffer);
    this.buffer = '';
    if (more) return undefined;
    return new Promise<void>((resolve) => {
      const go = () => {
        this.res.off('drain', go).off('close', go);
        resolve();
      };
      this.res.on('drain', go).on('close', go);
    });
  }

  end() {
    this.res.end(this.buffer);
  }
}
