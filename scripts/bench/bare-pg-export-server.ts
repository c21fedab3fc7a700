/**
 * The export section's PostgreSQL floor (issue 20): node:http + pg. GET /export opens a client of
 * its own, begins a `REPEATABLE READ READ ONLY` transaction, declares a server-side cursor over
 * every customer (the same columns as Carly's export, in id order) and FETCHes 200 rows at a
 * time (Carly's page size), JSON.stringify's each row in the REST shape as one NDJSON line and
 * writes ~64 KiB at a time to the socket, waiting for `drain` when the socket buffer is full;
 * the next page is fetched only after that. Finished or abandoned, the connection is ended,
 * which ends the transaction. Nothing else (no auth, no audit, no event cursor, no gzip).
 * GET /health answers 200.
 *   BENCH_PG_URL=<url> PORT=<port> node --import tsx scripts/bench/bare-pg-export-server.ts
 */
import http from 'node:http';
import pg from 'pg';
import { CUSTOMER_COLUMNS, NdjsonChunks, type PgCustomerRow, restFromPgRow } from './bare-rows.js';

const url = process.env.BENCH_PG_URL;
const port = Number(process.env.PORT);
if (!url || !Number.isInteger(port)) {
  console.error('bare-pg-export-server: set BENCH_PG_URL and PORT');
  process.exit(2);
}

/** Rows per FETCH: Carly's export reads pages of this size (server/customers/export/export-snapshot.ts). */
const PAGE_ROWS = 200;

async function stream(res: http.ServerResponse) {
  const client = new pg.Client({ connectionString: url, application_name: 'bare-pg-export' });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    await client.query(`declare bare_export no scroll cursor for select ${CUSTOMER_COLUMNS} from customers order by id`);
    const out = new NdjsonChunks(res);
    for (;;) {
      const { rows } = await client.query<PgCustomerRow>(`fetch ${PAGE_ROWS} from bare_export`);
      for (const r of rows) {
        const full = out.add(restFromPgRow(r));
        if (full) await full;
        if (out.closed) return;
      }
      if (rows.length < PAGE_ROWS) break;
    }
    out.end();
  } finally {
    // Ending the connection ends its transaction, wherever the export stood.
    await client.end().catch(() => {});
  }
}

http
  .createServer((req, res) => {
    if (req.url === '/health') return void res.end('ok');
    if (req.url === '/export') {
      stream(res).catch((err: unknown) => {
        console.error('bare-pg-export-server:', err instanceof Error ? err.message : err);
        res.destroy();
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  })
  .listen(port, '127.0.0.1');
