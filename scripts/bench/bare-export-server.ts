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

interface Row {
  public_id: string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  company: string | null;
  address: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  version: number;
}

const file = process.env.BENCH_DB;
const port = Number(process.env.PORT);
if (!file || !Number.isInteger(port)) {
  console.error('bare-export-server: set BENCH_DB and PORT');
  process.exit(2);
}

const db = new Database(file, { fileMustExist: true, readonly: true });
const all = db.prepare<[], Row>(
  'select public_id, email, first_name, last_name, phone, company, address, metadata, created_at, updated_at, version from customers order by id',
);

/** Up to this many bytes of lines are joined before one socket write (Carly's stream also writes in chunks). */
const CHUNK_BYTES = 64 * 1024;

async function stream(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  db.exec('begin');
  try {
    let buffer = '';
    for (const r of all.iterate()) {
      buffer += `${JSON.stringify({
        id: r.public_id,
        email: r.email,
        firstName: r.first_name,
        lastName: r.last_name,
        phone: r.phone,
        company: r.company,
        address: r.address === null ? null : JSON.parse(r.address),
        metadata: JSON.parse(r.metadata),
        createdAt: new Date(r.created_at).toISOString(),
        updatedAt: new Date(r.updated_at).toISOString(),
        version: r.version,
      })}\n`;
      if (buffer.length < CHUNK_BYTES) continue;
      const more = res.write(buffer);
      buffer = '';
      if (!more) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go).off('close', go);
            resolve();
          };
          res.on('drain', go).on('close', go);
        });
      }
      if (closed) return;
    }
    res.end(buffer);
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
