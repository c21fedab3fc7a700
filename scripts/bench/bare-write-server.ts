/**
 * The write floor the `writes` section compares Carly to: node:http + better-sqlite3 doing exactly
 * the durable work Carly does per create and per PATCH, on a copy of Carly's own migrated file
 * (same schema, indexes, FTS5 triggers), with Carly's connection pragmas:
 * - a bearer JWT (HS256) verified and its session looked up (the read lane's statement);
 * - one transaction: the customers row with its search columns (Carly's own `searchKeys`; a new
 *   row waits after the search watermark, and after Carly's default SEARCH_INDEX_DELAY_MS one
 *   transaction per batch of such rows writes them into FTS5 and their words' dictionary rows, as
 *   Carly's search indexer does; on PATCH the FTS5 index follows by trigger, the typo
 *   dictionary's rows are inserted or ignored and the replaced words no other customer has
 *   removed), the change event, and the audit
 *   entry salted and digested (`personalDigest`) and hash-chained (`chainHash`) in place;
 * - with an `Idempotency-Key`: the key claimed by a unique insert before, its answer stored in
 *   the same transaction;
 * - WAL checkpoints as Carly runs them: PASSIVE, on a thread of their own (WalCheckpointer).
 * Statements are prepared once. Run as its own process:
 * BENCH_DB=<file> PORT=<port> BENCH_JWT_SECRET=<secret> node --import tsx scripts/bench/bare-write-server.ts
 * GET /token answers a bearer token for its own session (the bench asks once).
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import Database from 'better-sqlite3';
import { charLength } from '../../client-sdk/src/query/index.js';
import type { Address } from '../../client-sdk/src/schemas/customer.js';
import { chainHash, GENESIS_HASH, newSalt, personalDigest } from '../../server/audit/chain-hash.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, WalCheckpointer } from '../../server/db/wal-checkpointer.js';
import { canonicalJson } from '../../server/idempotency/fingerprint.js';
import { ADD_CHAR_SQL, ADD_WORD_SQL } from '../../server/search/dictionary.js';
import { DEFAULT_INDEX_DELAY_MS, INDEX_BATCH } from '../../server/search/search-indexer.js';
import {
  customerWords,
  DICTIONARY_MIN_LENGTH,
  dictionaryEntries,
  SEARCH_COLUMN_NAMES,
  searchColumnValues,
  searchKeys,
  wordsOf,
} from '../../server/search/search-keys.js';
import { INDEX_FTS_UP_TO_SQL, MOVE_WATERMARK_SQL, unindexedSql } from '../../server/search/sqlite-watermark.js';
import type { SqliteCustomerRow } from './bare-rows.js';

const file = process.env.BENCH_DB;
const port = Number(process.env.PORT);
const secret = process.env.BENCH_JWT_SECRET;
if (!file || !Number.isInteger(port) || !secret) {
  console.error('bare-write-server: set BENCH_DB, PORT and BENCH_JWT_SECRET');
  process.exit(2);
}

const db = new Database(file, { fileMustExist: true });
// The pragmas Carly sets on its write connection (server/db/orm.ts).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('secure_delete = ON');
// And Carly's checkpoints: on a thread of their own, this connection's automatic one a backstop
// (server/db/wal-checkpointer.ts). BENCH_CHECKPOINT=commit: SQLite's own, inside the commit that
// crosses 1,000 pages (Carly before issue 22's second pass); none: never (create-probe.ts compares them).
const checkpointing = process.env.BENCH_CHECKPOINT ?? 'thread';
db.pragma(`wal_autocheckpoint = ${checkpointing === 'thread' ? BACKSTOP_AUTOCHECKPOINT_PAGES : checkpointing === 'commit' ? 1000 : 0}`);
const checkpointer = new WalCheckpointer(file);
if (checkpointing === 'thread') checkpointer.start();

// Its own account and session, like the admin the bench logs in as on Carly.
const userId = randomUUID();
const sessionId = randomUUID();
const now0 = Date.now();
db.prepare('insert into users (id, email, password_hash, role, customer_id, created_at, password_changed_at) values (?, ?, ?, ?, null, ?, ?)').run(
  userId,
  `floor-${process.pid}@example.com`,
  'not-a-hash',
  'admin',
  now0,
  now0,
);
db.prepare(
  'insert into sessions (id, user_id, refresh_hash, user_agent, ip, created_at, last_used_at, expires_at, revoked_at) values (?, ?, ?, null, null, ?, ?, ?, null)',
).run(sessionId, userId, randomBytes(32).toString('hex'), now0, now0, now0 + 86_400_000);

const b64url = (text: string) => Buffer.from(text).toString('base64url');
const hmac = (data: string) => createHmac('sha256', secret).update(data).digest();
const signed = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(
  JSON.stringify({
    sub: userId,
    sid: sessionId,
    role: 'admin',
    iss: 'carly',
    aud: 'carly-api',
    iat: Math.floor(now0 / 1000),
    exp: Math.floor(now0 / 1000) + 86_400,
  }),
)}`;
const token = `${signed}.${hmac(signed).toString('base64url')}`;

const liveSession = db.prepare<[string, string, number], { email: string; role: string }>(
  'select u.email, u.role, u.customer_id is not null as has_customer, s.last_used_at from sessions s join users u on u.id = s.user_id ' +
    'where s.id = ? and s.user_id = ? and s.revoked_at is null and s.expires_at > ?',
);

/** The caller's user id, or null: signature, issuer, audience and expiry checked, then the live session. */
function authenticate(req: http.IncomingMessage): { userId: string; email: string } | null {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) return null;
  const parts = auth.slice(7).split('.');
  if (parts.length !== 3) return null;
  const sig = Buffer.from(parts[2]!, 'base64url');
  const expected = hmac(`${parts[0]}.${parts[1]}`);
  if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return null;
  const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as { sub: string; sid: string; iss: string; aud: string; exp: number };
  const now = Date.now();
  if (claims.iss !== 'carly' || claims.aud !== 'carly-api' || claims.exp * 1000 <= now) return null;
  const session = liveSession.get(claims.sid, claims.sub, now);
  return session ? { userId: claims.sub, email: session.email } : null;
}

interface CustomerRow extends SqliteCustomerRow {
  id: number;
  search_words: string;
}

const insertCustomer = db.prepare(
  `insert into customers (public_id, email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, created_at, updated_at, version, ${SEARCH_COLUMN_NAMES.join(', ')}) ` +
    `values (${Array(13 + SEARCH_COLUMN_NAMES.length)
      .fill('?')
      .join(', ')})`,
);
const byEmail = db.prepare<[string], CustomerRow>('select * from customers where email = ?');
const updateCustomer = db.prepare(
  `update customers set first_name = ?, last_name = ?, first_name_key = ?, last_name_key = ?, phone = ?, company = ?, address = ?, metadata = ?, updated_at = ?, version = ?, ` +
    `${SEARCH_COLUMN_NAMES.map((c) => `${c} = ?`).join(', ')} where id = ? and version = ?`,
);
const addWord = db.prepare(ADD_WORD_SQL);
const addChar = db.prepare(ADD_CHAR_SQL);
const wordUsed = db.prepare('select 1 as found from customers_search where customers_search match ? limit 1');
const forgetWord = db.prepare('delete from search_words where word = ?');
const insertEvent = db.prepare(
  'insert into events (xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data) values (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)',
);
const insertAudit = db.prepare(
  'insert into audit_entries (xid, at, actor_type, actor_id, actor_email, action, target_type, target_id, outcome, changes, request_id, ip, user_agent, pii_salt, pii_digest, chain_seq, prev_hash, hash) ' +
    "values (0, ?, 'user', ?, ?, ?, 'customer', ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
);
const nextAuditId = db.prepare<[], { next: number }>("select coalesce(seq, 0) + 1 as next from sqlite_sequence where name = 'audit_entries'");
const chainHead = db.prepare<[], { chain_seq: number; hash: string }>(
  'select chain_seq, hash from audit_entries where chain_seq is not null order by chain_seq desc limit 1',
);
const claimKey = db.prepare<unknown[], { id: number }>(
  'insert into idempotency_records (scope, "key", operation, fingerprint, state, locked_at, created_at, expires_at) ' +
    'values (?, ?, ?, ?, \'running\', ?, ?, ?) on conflict (scope, "key") do nothing returning id',
);
const completeKey = db.prepare("update idempotency_records set state = 'done', response_status = 200, response_body = ? where id = ? and state = 'running'");

const EDITABLE = ['email', 'firstName', 'lastName', 'phone', 'company', 'address', 'metadata'] as const;
type Customer = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  company: string | null;
  address: Address | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  version: number;
};

const fromRow = (r: CustomerRow): Customer => ({
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
});

interface Caller {
  userId: string;
  email: string;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** The event and the chained audit entry of one change. */
function record(type: string, caller: Caller, customer: Customer, changes: Record<string, [unknown, unknown]>, at: number) {
  insertEvent.run(type, at, customer.id, customer.email, customer.version, JSON.stringify(Object.keys(changes)), 'user', caller.userId, caller.requestId);
  const personal = { actorEmail: caller.email, targetId: customer.id, changes, ip: caller.ip, userAgent: caller.userAgent, details: null };
  const salt = newSalt();
  const digest = personalDigest(salt, personal);
  const head = chainHead.get();
  const seq = (head?.chain_seq ?? 0) + 1;
  const prev = head?.hash ?? GENESIS_HASH;
  const id = nextAuditId.get()?.next ?? 1;
  const hash = chainHash(prev, {
    id: String(id),
    chainSeq: String(seq),
    at: new Date(at),
    actorType: 'user',
    actorId: caller.userId,
    action: type,
    targetType: 'customer',
    outcome: 'success',
    requestId: caller.requestId,
    piiDigest: digest,
  });
  insertAudit.run(
    at,
    caller.userId,
    caller.email,
    type,
    customer.id,
    JSON.stringify(changes),
    caller.requestId,
    caller.ip,
    caller.userAgent,
    salt,
    digest,
    seq,
    prev,
    hash,
  );
}

const addWords = (fields: Parameters<typeof customerWords>[0]) => {
  const entries = dictionaryEntries(customerWords(fields));
  for (const word of entries.words) addWord.run(word);
  for (const ch of entries.chars) addChar.run(ch);
};

const create = db.transaction((input: Record<string, unknown>, caller: Caller, keyId: number | null): Customer | null => {
  const fields = {
    email: String(input.email).trim().toLowerCase(),
    firstName: String(input.firstName),
    lastName: String(input.lastName),
    phone: (input.phone as string | undefined) ?? null,
    company: (input.company as string | undefined) ?? null,
    address: (input.address as Customer['address'] | undefined) ?? null,
    metadata: (input.metadata as Record<string, string> | undefined) ?? {},
  };
  if (byEmail.get(fields.email)) return null;
  const now = Date.now();
  const publicId = `cus_${now.toString(16).padStart(12, '0')}${randomBytes(6).toString('hex')}`;
  // The row waits after the search watermark; indexPending (below) writes FTS5 and the dictionary.
  insertCustomer.run(
    publicId,
    fields.email,
    fields.firstName,
    fields.lastName,
    fields.firstName.toLowerCase(),
    fields.lastName.toLowerCase(),
    fields.phone,
    fields.company,
    fields.address === null ? null : JSON.stringify(fields.address),
    JSON.stringify(fields.metadata),
    now,
    now,
    1,
    ...searchColumnValues(searchKeys(fields)),
  );
  const iso = new Date(now).toISOString();
  const customer: Customer = { id: publicId, ...fields, createdAt: iso, updatedAt: iso, version: 1 };
  const changes: Record<string, [unknown, unknown]> = {};
  for (const f of EDITABLE) {
    const v = customer[f];
    if (v !== null && !(f === 'metadata' && Object.keys(v as object).length === 0)) changes[f] = [null, v];
  }
  record('customer.created', caller, customer, changes, now);
  if (keyId !== null) completeKey.run(JSON.stringify({ json: customer }), keyId);
  return customer;
});

/**
 * Carly's search indexer (server/search/search-indexer.ts), the same work in the same batches:
 * its default delay after a create, then per transaction of its batch size, the pending rows'
 * text into FTS5, their distinct words and characters into the dictionary, the watermark past them.
 */
const takePending = db.prepare<[], { id: number; search_words: string }>(unindexedSql(INDEX_BATCH));
const indexFts = db.prepare(INDEX_FTS_UP_TO_SQL);
const pendingDone = db.prepare(MOVE_WATERMARK_SQL);
const indexPending = db.transaction((): number => {
  const rows = takePending.all();
  if (!rows.length) return 0;
  const lastId = rows[rows.length - 1]!.id;
  indexFts.run(lastId);
  const entries = dictionaryEntries(rows.flatMap((r) => wordsOf(r.search_words)));
  for (const word of entries.words) addWord.run(word);
  for (const ch of entries.chars) addChar.run(ch);
  pendingDone.run(lastId);
  return rows.length;
});
let indexTimer: NodeJS.Timeout | null = null;
const wakeIndexer = () => {
  if (indexTimer) return;
  indexTimer = setTimeout(() => {
    indexTimer = null;
    while (indexPending() === INDEX_BATCH);
  }, DEFAULT_INDEX_DELAY_MS);
};

const update = db.transaction((email: string, patch: Record<string, unknown>, caller: Caller): Customer | null => {
  const row = byEmail.get(email);
  if (!row) return null;
  const before = fromRow(row);
  const after: Customer = { ...before };
  for (const f of EDITABLE) if (f !== 'email' && patch[f] !== undefined) (after as Record<string, unknown>)[f] = patch[f];
  const now = Date.now();
  after.version = before.version + 1;
  after.updatedAt = new Date(now).toISOString();
  const keys = searchKeys(after);
  addWords(after);
  const changed = updateCustomer.run(
    after.firstName,
    after.lastName,
    after.firstName.toLowerCase(),
    after.lastName.toLowerCase(),
    after.phone,
    after.company,
    after.address === null ? null : JSON.stringify(after.address),
    JSON.stringify(after.metadata),
    now,
    after.version,
    ...searchColumnValues(keys),
    row.id,
    row.version,
  );
  if (changed.changes !== 1) throw new Error('stale version');
  const kept = new Set(wordsOf(keys.searchWords));
  for (const word of wordsOf(row.search_words)) {
    if (!kept.has(word) && charLength(word) >= DICTIONARY_MIN_LENGTH && !wordUsed.get(`search_words : "${` ${word} `.replaceAll('"', '""')}"`))
      forgetWord.run(word);
  }
  const changes: Record<string, [unknown, unknown]> = {};
  for (const f of EDITABLE) if (canonicalJson(before[f]) !== canonicalJson(after[f])) changes[f] = [before[f], after[f]];
  if (Object.keys(changes).length) record('customer.updated', caller, after, changes, now);
  return after;
});

/** For create-probe.ts: the floor's connection and create transaction, run without HTTP. */
export const floor = {
  db,
  file,
  create,
  caller: (): Caller => ({ userId, email: `floor-${process.pid}@example.com`, requestId: randomUUID(), ip: '127.0.0.1', userAgent: 'probe' }),
};

function send(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/health') return send(res, 200, '{"status":"ok"}');
  if (url === '/token') return send(res, 200, JSON.stringify({ token }));
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const who = authenticate(req);
    if (!who) return send(res, 401, '{"code":"UNAUTHORIZED","message":"Sign in"}');
    const caller: Caller = { ...who, requestId: randomUUID(), ip: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null };
    const text = Buffer.concat(chunks).toString();
    const input = JSON.parse(text) as Record<string, unknown>;
    if (req.method === 'POST' && url === '/customers') {
      const key = req.headers['idempotency-key'];
      let keyId: number | null = null;
      if (typeof key === 'string') {
        const now = Date.now();
        const fingerprint = createHash('sha256').update(canonicalJson(input)).digest('hex');
        const claimed = claimKey.get(`user:${caller.userId}`, key, 'customers.create', fingerprint, now, now, now + 86_400_000);
        if (!claimed) return send(res, 409, '{"code":"CONFLICT","message":"Key in use"}');
        keyId = claimed.id;
      }
      const customer = create(input, caller, keyId);
      if (!customer) return send(res, 409, '{"code":"CONFLICT","message":"Exists"}');
      wakeIndexer();
      return send(res, 200, JSON.stringify(customer));
    }
    if (req.method === 'PATCH' && url.startsWith('/customers/')) {
      const customer = update(decodeURIComponent(url.slice('/customers/'.length)).trim().toLowerCase(), input, caller);
      if (!customer) return send(res, 404, '{"code":"NOT_FOUND","message":"No such customer"}');
      return send(res, 200, JSON.stringify(customer));
    }
    return send(res, 404, '{"code":"NOT_FOUND","message":"No route"}');
  });
});
// As Carly's Fastify options.
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1');

const stop = () =>
  server.close(async () => {
    await checkpointer.stop();
    db.close();
    process.exit(0);
  });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
