/**
 * The floor the bench compares Carly to: node:http + better-sqlite3, the same SELECT the ORM
 * issues for `findOne({ email })` and the same JSON body as REST GET /customers/{email}.
 * Run as its own process: BENCH_DB=<file> PORT=<port> node --import tsx scripts/bench/bare-server.ts
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import { restFromSqliteRow, type SqliteCustomerRow } from './bare-rows.js';

const file = process.env.BENCH_DB;
const port = Number(process.env.PORT);
if (!file || !Number.isInteger(port)) {
  console.error('bare-server: set BENCH_DB and PORT');
  process.exit(2);
}

const db = new Database(file, { fileMustExist: true });
// The pragmas the app sets on its connection.
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
const byEmail = db.prepare<[string], SqliteCustomerRow>('select `c0`.* from `customers` as `c0` where `c0`.`email` = ? limit 1');

function send(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
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
    const row = byEmail.get(email.trim().toLowerCase());
    if (!row) return send(res, 404, '{"code":"NOT_FOUND","message":"No such customer"}');
    return send(res, 200, JSON.stringify(restFromSqliteRow(row)));
  }
  if (url === '/health') return send(res, 200, '{"status":"ok"}');
  return send(res, 404, '{"code":"NOT_FOUND","message":"No route"}');
});
// As Carly's Fastify options.
server.keepAliveTimeout = 5_000;

server.listen(port, '127.0.0.1');

const stop = () =>
  server.close(() => {
    db.close();
    process.exit(0);
  });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
