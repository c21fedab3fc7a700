/**
 * The PostgreSQL floor: node:http + pg, one named prepared statement (parsed once per pooled
 * connection, then only bound and executed), a small pool, the same JSON body as REST
 * GET /customers/{email}. What reading one customer over PostgreSQL costs without a framework or
 * an ORM, on this machine, now.
 *   BENCH_PG_URL=<url> PORT=<port> [BENCH_PG_POOL=4] node --import tsx scripts/bench/bare-pg-server.ts
 */
import http from 'node:http';
import pg from 'pg';
import { CUSTOMER_COLUMNS, type PgCustomerRow, restFromPgRow } from './bare-rows.js';

const url = process.env.BENCH_PG_URL;
const port = Number(process.env.PORT);
if (!url || !Number.isInteger(port)) {
  console.error('bare-pg-server: set BENCH_PG_URL and PORT');
  process.exit(2);
}
// Small: on 2 cores more backends than this only queue in the kernel instead of in the pool.
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BENCH_PG_POOL ?? 4) });

const BY_EMAIL = {
  name: 'bench_customer_by_email',
  text: `select ${CUSTOMER_COLUMNS} from customers where email = $1`,
};

function send(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function customer(res: http.ServerResponse, email: string) {
  const { rows } = await pool.query<PgCustomerRow>({ ...BY_EMAIL, values: [email] });
  const row = rows[0];
  if (!row) return send(res, 404, '{"code":"NOT_FOUND","message":"No such customer"}');
  send(res, 200, JSON.stringify(restFromPgRow(row)));
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url.startsWith('/customers/')) {
    let email: string;
    try {
      email = decodeURIComponent(url.slice('/customers/'.length).split('?')[0]!);
    } catch {
      return send(res, 400, '{"code":"BAD_REQUEST","message":"Malformed path"}');
    }
    customer(res, email.trim().toLowerCase()).catch((err: unknown) => {
      console.error('bare-pg-server:', err instanceof Error ? err.message : err);
      if (!res.headersSent) send(res, 500, '{"code":"INTERNAL","message":"Query failed"}');
    });
    return;
  }
  if (url === '/health') return send(res, 200, '{"status":"ok"}');
  return send(res, 404, '{"code":"NOT_FOUND","message":"No route"}');
});
// As Carly's Fastify options.
server.keepAliveTimeout = 5_000;

server.listen(port, '127.0.0.1');

const stop = () =>
  server.close(() => {
    void pool.end().finally(() => process.exit(0));
  });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
