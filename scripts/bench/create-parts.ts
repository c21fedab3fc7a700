/**
 * Which part of a create's search work costs what on SQLite (docs/performance.md, section search):
 * on a copy of a bench dataset, N one-customer transactions (a new customer, rowFor's shape, new
 * unique email as the app's creates have), with the server's pragmas (WAL, synchronous NORMAL,
 * secure_delete, default page cache, autocheckpoint), in one of these layouts:
 *
 *   full      the customer row + FTS5 triggers + fold indexes + the typo dictionary's rows
 *   no-dict   the same without the dictionary rows
 *   no-fts    the same without the FTS5 triggers (dictionary rows written)
 *   words     FTS5 + fold indexes + one row per new distinct word (the query-side-variants design)
 *   bare      the customer row only (no triggers, no fold indexes, no dictionary): the bench's "off"
 *   batched   (a design sketch, not the app's) the customer row + fold indexes + its id in a
 *             pending table; every BENCH_BATCH creates (default 100) one transaction moves the
 *             pending rows into the FTS5 index and their new distinct words into a word table
 *   batched-variants  the same with the dictionary's variant rows instead of distinct words
 *
 *   cp .bench/db/customers-200000-<hash>/carly.sqlite /tmp/parts.sqlite
 *   npx tsx scripts/bench/create-parts.ts /tmp/parts.sqlite full 3000
 *
 * (a fresh copy per layout; the script drops what its layout lacks before timing.)
 * BENCH_FTS="'automerge', 8;'crisismerge', 64" sets FTS5 options on the trigram index first;
 * BENCH_EMAIL=bench gives the new customers the search section's create emails (shorter new words). Prints the
 * main thread's CPU per create and the wall time's median and p90.
 */
import Database from 'better-sqlite3';
import { customerWords, dictionaryRows, wordsOf } from '../../server/search/search-keys.js';
import { ROW_COLUMNS, rowFor } from './dataset.js';

const [file, layout = 'full', count = '3000'] = process.argv.slice(2);
const LAYOUTS = ['full', 'no-dict', 'no-fts', 'words', 'bare', 'batched', 'batched-variants'];
const batched = layout.startsWith('batched');
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
if (!file || !LAYOUTS.includes(layout)) throw new Error(`usage: create-parts.ts <copy.sqlite> <${LAYOUTS.join('|')}> [count]`);
const n = Number(count);

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('secure_delete = ON');
const rows = (db.prepare('select max(id) as m from customers').get() as { m: number }).m;

const triggers = db.prepare("select name from sqlite_master where type = 'trigger' and tbl_name = 'customers' and name like 'customers_search_%'").all() as {
  name: string;
}[];
const foldIndexes = db.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'customers' and sql like '%_fold%'").all() as {
  name: string;
}[];
if (layout === 'no-fts' || layout === 'bare') for (const t of triggers) db.exec(`drop trigger \`${t.name}\``);
if (batched) {
  db.exec('drop trigger customers_search_insert');
  db.exec('create table search_pending (id integer primary key)');
}
if (layout === 'bare') for (const ix of foldIndexes) db.exec(`drop index \`${ix.name}\``);
if (layout === 'words' || layout === 'batched') {
  // The distinct words as their own table, as a migration would make it from search_words.
  db.exec('create table if not exists search_dict (word text primary key) without rowid');
  db.exec('insert into search_dict (word) select distinct word from search_words where true on conflict do nothing');
  db.exec('drop table search_words');
}
// BENCH_FTS="'automerge', 8;'crisismerge', 64": FTS5 options set on the trigram index first.
for (const option of (process.env.BENCH_FTS ?? '').split(';').filter(Boolean)) {
  db.prepare(`insert into customers_search(customers_search, rank) values (${option})`).run();
}
db.pragma('wal_checkpoint(TRUNCATE)');

const insert = db.prepare(`insert into customers (${ROW_COLUMNS.join(', ')}) values (${ROW_COLUMNS.map((c) => `@${c}`).join(', ')})`);
const addVariants =
  layout === 'full' || layout === 'no-fts' || layout === 'batched-variants'
    ? db.prepare(
        "insert into search_words (variant, word) select json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(?) where true on conflict do nothing",
      )
    : null;
const addWords =
  layout === 'words' || layout === 'batched'
    ? db.prepare('insert into search_dict (word) select value from json_each(?) where true on conflict do nothing')
    : null;

/**
 * A new customer: rowFor of an index past the table (new id, new unique email), created now. With
 * BENCH_EMAIL=bench its email is shaped like the search section's POST bodies (`<tag>.<k>@create.example.com`,
 * the counter its one new word) and its search words recomputed.
 */
const BENCH_TAG = `r1-on-${process.pid.toString(36)}`;
function newCustomer(i: number) {
  const row = { ...rowFor(i), created_at: Date.now(), updated_at: Date.now() };
  if (process.env.BENCH_EMAIL !== 'bench') return row;
  const email = `${BENCH_TAG}.${i - rows}@create.example.com`;
  const words = customerWords({ email, firstName: row.first_name, lastName: row.last_name, company: row.company });
  return { ...row, email, search_words: ` ${words.join(' ')} ` };
}
const FTS_COLUMNS = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];
const pend = batched ? db.prepare('insert into search_pending (id) values (?)') : null;
const pendingWords = batched ? db.prepare('select c.search_words as w from search_pending p join customers c on c.id = p.id') : null;
const indexPending = batched
  ? db.prepare(
      `insert into customers_search (rowid, ${FTS_COLUMNS.join(', ')}) select c.id, ${FTS_COLUMNS.map((x) => `c.${x}`).join(', ')} from search_pending p join customers c on c.id = p.id`,
    )
  : null;
const clearPending = batched ? db.prepare('delete from search_pending') : null;
let sinceFlush = 0;
const flush = db.transaction(() => {
  const words = new Set<string>();
  for (const r of pendingWords!.all() as { w: string }[]) for (const w of wordsOf(r.w)) words.add(w);
  indexPending!.run();
  if (addWords) addWords.run(JSON.stringify([...words].filter((w) => [...w].length >= 4)));
  if (addVariants) addVariants.run(JSON.stringify(dictionaryRows(words)));
  clearPending!.run();
});
const insertOnly = db.transaction((row: ReturnType<typeof rowFor>) => {
  insert.run(row);
  pend!.run(row.id);
});
const create = (i: number) => {
  if (!batched) return createNow(i);
  insertOnly(newCustomer(i));
  if (++sinceFlush >= BATCH) {
    flush();
    sinceFlush = 0;
  }
};
const createNow = db.transaction((i: number) => {
  // A new customer: rowFor of an index past the table (new id, new unique email), created now.
  const row = newCustomer(i);
  insert.run(row);
  const words = wordsOf(row.search_words);
  if (addVariants) addVariants.run(JSON.stringify(dictionaryRows(words)));
  if (addWords) addWords.run(JSON.stringify(words.filter((w) => [...w].length >= 4)));
});

// Warm-up (statements prepared, the hot pages read), then the timed creates.
for (let k = 0; k < 200; k++) create(rows + k);
const walls: number[] = [];
const cpu0 = process.cpuUsage();
for (let k = 200; k < 200 + n; k++) {
  const t = performance.now();
  create(rows + k);
  walls.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(
  `${layout}: ${n} creates on ${rows.toLocaleString('en-US')} customers: CPU ${((cpu.user + cpu.system) / n).toFixed(0)} µs per create ` +
    `(user ${(cpu.user / n).toFixed(0)}, system ${(cpu.system / n).toFixed(0)}); wall p50 ${q(walls, 0.5).toFixed(3)} p90 ${q(walls, 0.9).toFixed(3)} ms`,
);
db.close();
