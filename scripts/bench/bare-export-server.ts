/**
 * The export section's floor (issue 20): node:http + better-sqlite3. GET /export iterates every
 * customer (the same columns as Carly's export, in id order, in one read transaction on a
 * read-only connection), JSON.stringify's each row in the REST shape as one NDJSON line and writes
 * it to the socket, waiting for `drain` when the socket buffer is full; nothing else (no auth, no
 * audit, no event cursor, no gzip). GET /health answers 200.
 *   BENCH_DB=<file> PORT=<port> node --import tsx scripts/bench/bare-export-server.ts
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import { CUSTOMER_COLUMNS, NdjsonChunks, restFromSqliteRow, type SqliteCustomerRow } from './bare-rows.js';

const file = process.env.BENCH_DB;
const port = Number(process.env.PORT);
if (!file || !Number.isInteger(port)) {
  console.error('bare-export-server: set BENCH_DB and PORT');
  process.exit(2);
}

const db = new Database(file, { fileMustExist: true, readonly: true });
const all = db.prepare<[], SqliteCustomerRow>(`select ${CUSTOMER_COLUMNS} from customers order by id`);

async function stream(res: http.ServerResponse) {
  const out = new NdjsonChunks(res);
  db.exec('begin');
  try {
    for (const r of all.iterate()) {
      const full = out.add(restFromSqliteRow(r));
      if (full) await full;
      if (out.closed) return;
    }
    out.end();
  } finally {
    db.exec('commit');
  }
}

http
  .createServer((req, res) => {
    if (req.url === '/health') return void res.end('ok');
    if (req.url === '/export') {
      stream(res).catch((err: unknown) => {
        console.error(err);
        res.destroy();
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  })
  .listen(port, '127.0.0.1');
