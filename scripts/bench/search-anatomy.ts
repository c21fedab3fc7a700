/**
 * Where a dense search's time goes on SQLite (docs/performance.md, section search): on a copy of a
 * bench dataset, one `q` word's FTS5 lookup alone, the same ids joined to their rows for
 * created_at, the page's sort over full rows, and the app's own first page (customer-search.ts)
 * both ways: sorted (SEARCH_WALK_ROWS=0) and walked (the default budget).
 * In-process, no HTTP; medians of 5 runs after one warm-up.
 *
 *   cp .bench/db/customers-1000000-<hash>/carly.sqlite /tmp/x.sqlite
 *   npx tsx scripts/bench/search-anatomy.ts /tmp/x.sqlite lovelace
 *
 * Give it a copy: the app's ORM opens the file to build its statement (a bench dataset has every
 * migration applied already, so nothing is written; the measured reads are on a read-only handle).
 */
import type { EntityManager } from '@mikro-orm/knex';
import Database from 'better-sqlite3';
import { CustomerSearchInput } from '../../client-sdk/src/schemas/search.js';
import { CursorCodec } from '../../server/customers/cursor.js';
import { openDatabase } from '../../server/db/orm.js';
import { CustomerSearch, DEFAULT_WALK_ROWS } from '../../server/search/customer-search.js';
import { ftsPhrase } from '../../server/search/word-index.js';
import { median } from './report.js';

const [file, word = 'lovelace'] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx scripts/bench/search-anatomy.ts <carly.sqlite> [word]');

const orm = await openDatabase({ kind: 'sqlite', file });
const input = CustomerSearchInput.parse({ q: word, limit: 50 });
const appPage = (walkRows: number) => {
  const search = new CustomerSearch(() => orm.em.fork() as unknown as EntityManager, new CursorCodec(Buffer.alloc(32, 1)), { walkRows });
  return async () => (await search.search(input)).items.length;
};

const db = new Database(file, { readonly: true });
const match = `search_words : ${ftsPhrase(` ${word}`)}`;
const ids = 'select rowid as id from customers_search where customers_search match ?';
const steps: [string, string, unknown[]][] = [
  ['FTS5 lookup, ids only', `select count(*) as n from (${ids})`, [match]],
  ['+ each row read for created_at', `select count(*) as n, max(c.created_at) as newest from (${ids}) f join customers c on c.id = f.id`, [match]],
  [
    '+ full rows, newest 51 sorted',
    `select c.* from (${ids}) f join customers c on c.id = f.id order by c.created_at desc, c.public_id desc limit 51`,
    [match],
  ],
];
const timed = async (label: string, run: () => number | Promise<number>) => {
  await run();
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    rows = await run();
    times.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(34)} ${median(times).toFixed(1).padStart(8)} ms  (${rows} rows out)`);
};
for (const [label, sql, params] of steps) {
  const statement = db.prepare(sql);
  await timed(label, () => statement.all(...params).length);
}
await timed("the app's page, sorted", appPage(0));
await timed("the app's page, walked", appPage(DEFAULT_WALK_ROWS));
const [{ n }] = db.prepare(`select count(*) as n from (${ids})`).all(match) as [{ n: number }];
console.log(`q=${word}: ${n.toLocaleString('en-US')} matches`);
db.close();
await orm.close(true);
