/**
 * create-parts.ts for PostgreSQL (docs/performance.md, section search): on a copy of a bench
 * database (`create database x template carly_bench_<rows>_<hash>`), N one-customer transactions
 * at one connection in one of the layouts of create-parts.ts (`no-fts` here drops the pg_trgm GIN
 * indexes). Prints the backend's CPU per create (from /proc: PostgreSQL on this machine), this
 * client's CPU, and the wall time's median and p90. The script changes the copy: one copy per layout.
 * BENCH_EMAIL=bench gives the new customers the search section's create emails (shorter new words).
 *
 *   psql "$URL" -c 'create database parts_full template carly_bench_200000_<hash>'
 *   npx tsx scripts/bench/create-parts-pg.ts postgres://postgres@127.0.0.1:5432/parts_full full 3000
 */
import fs from 'node:fs';
import pg from 'pg';
import { customerWords, dictionaryRows, wordsOf } from '../../server/search/search-keys.js';
import { ROW_COLUMNS, rowFor } from './dataset.js';

const [url, layout = 'full', count = '3000'] = process.argv.slice(2);
const LAYOUTS = ['full', 'no-dict', 'no-fts', 'words', 'bare'];
if (!url || !LAYOUTS.includes(layout)) throw new Error(`usage: create-parts-pg.ts <url of a copy> <${LAYOUTS.join('|')}> [count]`);
const n = Number(count);

const c = new pg.Client({ connectionString: url });
await c.connect();
const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
const TICK_US = 10_000; // USER_HZ 100
const backendUs = () => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
};
const rows = Number((await c.query<{ m: string }>('select max(id) as m from customers')).rows[0]!.m);

const indexes = async (where: string) =>
  (
    await c.query<{ name: string }>(`select indexname as name from pg_indexes where tablename = 'customers' and schemaname = current_schema() and (${where})`)
  ).rows.map((r) => r.name);
if (layout === 'no-fts' || layout === 'bare') for (const ix of await indexes("indexdef like '%gin%'")) await c.query(`drop index "${ix}"`);
if (layout === 'bare') for (const ix of await indexes("indexdef like '%_fold%' or indexdef like '%search_words%'")) await c.query(`drop index "${ix}"`);
if (layout === 'words') {
  await c.query('create table if not exists search_dict (word text primary key)');
  await c.query('insert into search_dict (word) select distinct word from search_words on conflict do nothing');
  await c.query('drop table search_words');
}
await c.query('checkpoint');
await c.query('vacuum analyze customers');

const insertSql = `insert into customers (${ROW_COLUMNS.join(', ')}) values (${ROW_COLUMNS.map((_, k) => `$${k + 1}`).join(', ')})`;
/** As create-parts.ts: BENCH_EMAIL=bench gives the search section's create emails. */
const BENCH_TAG = `r1-on-${process.pid.toString(36)}`;
function newCustomer(i: number) {
  const row = rowFor(i);
  if (process.env.BENCH_EMAIL !== 'bench') return row;
  const email = `${BENCH_TAG}.${i - rows}@create.example.com`;
  const words = customerWords({ email, firstName: row.first_name, lastName: row.last_name, company: row.company });
  return { ...row, email, search_words: ` ${words.join(' ')} ` };
}
const create = async (i: number) => {
  const row = newCustomer(i);
  const now = new Date();
  const values = ROW_COLUMNS.map((col) => (col === 'created_at' || col === 'updated_at' ? now : row[col]));
  const words = wordsOf(row.search_words);
  await c.query('begin');
  await c.query({ name: 'ins', text: insertSql, values });
  if (layout === 'full' || layout === 'no-fts') {
    const d = dictionaryRows(words);
    await c.query({
      name: 'dict',
      text: 'insert into search_words (variant, word) select * from unnest($1::text[], $2::text[]) on conflict do nothing',
      values: [d.map(([v]) => v), d.map(([, w]) => w)],
    });
  }
  if (layout === 'words')
    await c.query({
      name: 'words',
      text: 'insert into search_dict (word) select * from unnest($1::text[]) on conflict do nothing',
      values: [words.filter((w) => [...w].length >= 4)],
    });
  await c.query('commit');
};

for (let k = 0; k < 200; k++) await create(rows + k);
const walls: number[] = [];
const b0 = backendUs();
const cpu0 = process.cpuUsage();
for (let k = 200; k < 200 + n; k++) {
  const t = performance.now();
  await create(rows + k);
  walls.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
const backend = backendUs() - b0;
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(
  `${layout}: ${n} creates on ${rows.toLocaleString('en-US')} customers: backend CPU ${(backend / n).toFixed(0)} µs per create, ` +
    `client ${((cpu.user + cpu.system) / n).toFixed(0)} µs; wall p50 ${q(walls, 0.5).toFixed(3)} p90 ${q(walls, 0.9).toFixed(3)} ms`,
);
await c.end();
