/**
 * The import section's in-run floor: the same export file, read line by line (generate-export
 * writes one row per line), JSON.parse'd, mapped to columns (email trimmed and lower-cased,
 * name keys, JSON columns) and inserted with one prepared better-sqlite3 statement in
 * transactions of 50,000 rows, indexes in place, with the importer's connection settings
 * (server/import/customer-writer.ts: WAL, synchronous=NORMAL, the import's page cache, BEGIN
 * IMMEDIATE; the WAL checkpointed every 20,000 pages on this thread where the importer uses a
 * thread of its own, a passive checkpoint and close inside the timed part). No validation, no upsert: what bare SQLite costs for these
 * rows on this machine now.
 * The same durable work as Carly's importer, as issue 22's write floor does for a create: each
 * row's search columns (Carly's own `searchKeys`; the FTS5 trigram index written before each
 * commit and the watermark moved past the rows, sqlite-watermark.ts, as Carly's import batches
 * do) and the typo dictionary's entries of its words (`dictionaryEntries`, insert or ignore, each
 * distinct word once per run). Until 2026-12-07 the floor left the search
 * columns empty and wrote no dictionary rows: it did less work than Carly, which flattered it.
 * With `--events N` (issue 20's floor for an import over the API): transactions of N rows, and each
 * row also inserts its `customer.created` event row (the columns the importer writes), in the
 * same transaction.
 *   node --import tsx scripts/bench/bare-import.ts FILE DATA_DIR [--events N]
 * DATA_DIR may hold a database already (a copy of the bench's dataset, as the server imports into).
 * Prints one JSON line: {"rows":N,"seconds":S,"peakRssMb":M}.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { loadConfig } from '../../server/config.js';
import { newCustomerId } from '../../server/customers/customer.mapper.js';
import { openDatabase } from '../../server/db/orm.js';
import { IMPORT_CACHE_KIB, IMPORT_THREAD_CACHE_KIB } from '../../server/import/customer-writer.js';
import { ADD_CHAR_SQL, ADD_WORD_SQL } from '../../server/search/dictionary.js';
import { dictionaryEntries, SEARCH_COLUMN_NAMES, searchColumnValues, searchKeys, wordsOf } from '../../server/search/search-keys.js';
import { INDEX_FTS_UP_TO_SQL, MOVE_WATERMARK_SQL } from '../../server/search/sqlite-watermark.js';

const [file, dataDir, flag, batchArg] = process.argv.slice(2);
const withEvents = flag === '--events';
if (!file || !dataDir || (flag !== undefined && !(withEvents && Number(batchArg) > 0))) {
  console.error('usage: bare-import.ts FILE DATA_DIR [--events BATCH_ROWS]');
  process.exit(2);
}
// The schema as the app makes it (not timed).
const config = loadConfig({ DATA_DIR: dataDir, SEED_SAMPLE_DATA: 'false', LOG_LEVEL: 'silent' });
if (config.database.kind !== 'sqlite') throw new Error('bare-import is SQLite only');
const orm = await openDatabase(config.database);
await orm.close(true);

const db = new Database(config.database.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
// The importer's page cache (IMPORT_CACHE_KIB in customer-writer.ts). Checkpoints every 20,000
// pages on this thread: with the default 1,000 this floor paid for copying the WAL into the file
// after every batch, and the ratio flattered the importer. The importer checkpoints on a thread of
// its own (db/wal-checkpointer.ts), which this floor does not: its time includes its checkpoints.
// The API import's own thread has a smaller cache than `npm run import`'s connection: the floor of each uses the same.
db.pragma(`cache_size = ${-(withEvents ? IMPORT_THREAD_CACHE_KIB : IMPORT_CACHE_KIB)}`);
db.pragma('wal_autocheckpoint = 20000');
const insert = db.prepare(
  `insert into customers (email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, created_at, updated_at, public_id, version, ${SEARCH_COLUMN_NAMES.join(', ')}) ` +
    `values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ${SEARCH_COLUMN_NAMES.map(() => '?').join(', ')})`,
);
const addWord = db.prepare(ADD_WORD_SQL);
const addChar = db.prepare(ADD_CHAR_SQL);
/** Words already written to the dictionary in this run: each one's rows are written once. */
const written = new Set<string>();
const SEARCH_WORDS = 12 + SEARCH_COLUMN_NAMES.indexOf('search_words');
const event = db.prepare(
  'insert into events (xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data) ' +
    "values (0, 'customer.created', ?, ?, ?, 1, ?, 'user', 'bench', null, null)",
);
const BATCH = withEvents ? Number(batchArg) : 50_000;
// Like Carly's import batches (server/import/sqlite-batch.ts), the floor writes its rows'
// dictionary entries itself and its new rows into FTS5 before it commits, then moves the search
// watermark past them.
const indexNew = db.prepare(INDEX_FTS_UP_TO_SQL);
const moveWatermark = db.prepare(MOVE_WATERMARK_SQL);
const flush = db.transaction((rows: unknown[][]) => {
  let lastId: number | bigint = 0;
  for (const r of rows) {
    lastId = insert.run(r).lastInsertRowid;
    const fresh = wordsOf(r[SEARCH_WORDS] as string).filter((w) => !written.has(w));
    for (const w of fresh) written.add(w);
    const entries = dictionaryEntries(fresh);
    for (const word of entries.words) addWord.run(word);
    for (const ch of entries.chars) addChar.run(ch);
    if (withEvents) {
      const changed = ['email', 'firstName', 'lastName'];
      if (r[5] !== null) changed.push('phone');
      if (r[6] !== null) changed.push('company');
      if (r[7] !== null) changed.push('address');
      if (r[8] !== '{}') changed.push('metadata');
      event.run(r[10], r[11], r[0], JSON.stringify(changed));
    }
  }
  indexNew.run(lastId);
  moveWatermark.run(lastId);
}).immediate;

const started = performance.now();
let count = 0;
let batch: unknown[][] = [];
const now = Date.now();
const lines = readline.createInterface({ input: fs.createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
for await (const raw of lines) {
  let line = raw.trim();
  if (line === '[' || line === ']' || line === '') continue;
  if (line.endsWith(',')) line = line.slice(0, -1);
  if (line.endsWith(']')) line = line.slice(0, -1);
  const c = JSON.parse(line) as Record<string, any>;
  if (!c || typeof c !== 'object' || typeof c.email !== 'string') continue;
  const first = String(c.firstName ?? '').trim();
  const last = String(c.lastName ?? '').trim();
  const email = c.email.trim().toLowerCase();
  const phone = c.phone ?? null;
  const company = c.company ?? null;
  const address = c.address ?? null;
  const metadata = c.metadata ?? {};
  const keys = searchKeys({ email, firstName: first, lastName: last, phone, company, address, metadata });
  batch.push([
    email,
    first,
    last,
    first.toLowerCase(),
    last.toLowerCase(),
    phone,
    company,
    address ? JSON.stringify(address) : null,
    JSON.stringify(metadata),
    c.createdAt ? Date.parse(c.createdAt) : now,
    now,
    // Every row needs its public id, made as the importer makes it.
    newCustomerId(),
    ...searchColumnValues(keys),
  ]);
  if (batch.length === BATCH) {
    flush(batch);
    count += batch.length;
    batch = [];
  }
}
if (batch.length) flush(batch);
count += batch.length;
// The importer's close: copy the WAL into the file, then close (its timing includes both).
db.pragma('wal_checkpoint(PASSIVE)');
db.close();
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ rows: count, seconds, peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / 1e6) }));
