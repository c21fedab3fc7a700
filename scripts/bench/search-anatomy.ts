/**
 * Where a dense search's time goes on SQLite (docs/performance.md, section search): on a copy of a
 * bench dataset, one `q` word's FTS5 lookup alone, the same ids joined to their rows for
 * created_at, the page's sort over full rows, and the app's own statement (customer-search.ts).
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
import { CustomerSearch } from '../../server/search/customer-search.js';
import { ftsPhrase } from '../../server/search/word-index.js';
import { median } from './report.js';

const [file, word = 'lovelace'] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx scripts/bench/search-anatomy.ts <carly.sqlite> [word]');

const orm = await openDatabase({ kind: 'sqlite', file });
const search = new CustomerSearch(() => orm.em.fork() as unknown as EntityManager, new CursorCodec(Buffer.alloc(32, 1)));
const app = await search.statement(CustomerSearchInput.parse({ q: word, limit: 50 }));
await orm.close(true);

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
  ["the app's page statement", app.text, app.params],
];
for (const [label, sql, params] of steps) {
  const statement = db.prepare(sql);
  statement.all(...params);
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    rows = statement.all(...params).length;
    times.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(34)} ${median(times).toFixed(1).padStart(8)} ms  (${rows} rows out)`);
}
const [{ n }] = db.prepare(`select count(*) as n from (${ids})`).all(match) as [{ n: number }];
console.log(`q=${word}: ${n.toLocaleString('en-US')} matches`);
db.close();
