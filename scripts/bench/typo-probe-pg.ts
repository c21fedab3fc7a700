/**
 * typo-probe.ts for PostgreSQL: on a copy of a bench database, the distinct words of search_words
 * in a table of their own (primary key), their alphabet, and per query word its edit-distance-1
 * strings over that alphabet looked up in one `= any($1::text[])`, each hit checked by the app's
 * edit-distance test; beside it the current lookup (the word and its deletions in search_words).
 * Medians of 20 runs after 3 warm-ups, wall time at one connection.
 *
 *   psql postgres://postgres@127.0.0.1:5432/postgres -c 'create database t template carly_bench_1000000_<hash>'
 *   npx tsx scripts/bench/typo-probe-pg.ts postgres://postgres@127.0.0.1:5432/t lovelase hoper nguyem
 */
import pg from 'pg';
import { matchFreeText, oneDeletions } from '../../client-sdk/src/query/index.js';
import { oneEdits } from './one-edits.js';
import { median } from './report.js';

const [url, ...queryWords] = process.argv.slice(2);
if (!url || queryWords.length === 0) throw new Error('usage: typo-probe-pg.ts <url of a copy> word…');

const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query('create table if not exists search_dict (word text primary key)');
await c.query('insert into search_dict (word) select distinct word from search_words on conflict do nothing');
await c.query('vacuum analyze search_dict');
const chars = await c.query<{ ch: string }>("select distinct ch from search_dict, regexp_split_to_table(word, '') as ch order by ch");
const letters = chars.rows.map((r) => r.ch);
const distinct = (await c.query<{ n: string }>('select count(*) as n from search_dict')).rows[0]!.n;
console.log(`${Number(distinct).toLocaleString('en-US')} distinct words; alphabet of ${letters.length}: ${letters.join('')}`);

const edits = async (word: string) => {
  const candidates = oneEdits(word, letters);
  const found = await c.query<{ word: string }>({ name: 'edits', text: 'select word from search_dict where word = any($1::text[])', values: [candidates] });
  return {
    probes: candidates.length,
    words: found.rows
      .map((r) => r.word)
      .filter((w) => matchFreeText(word, w) === 'typo')
      .sort(),
  };
};
const current = async (word: string) => {
  const variants = [word, ...oneDeletions(word)];
  const rows = await c.query<{ word: string }>({
    name: 'current',
    text: 'select distinct word from search_words where variant = any($1::text[])',
    values: [variants],
  });
  return rows.rows
    .map((r) => r.word)
    .filter((w) => matchFreeText(word, w) === 'typo')
    .sort();
};

const time = async (f: () => Promise<unknown>) => {
  for (let k = 0; k < 3; k++) await f();
  const ms: number[] = [];
  for (let k = 0; k < 20; k++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
};

for (const word of queryWords) {
  const e = await edits(word);
  const d = await current(word);
  const same = JSON.stringify(e.words) === JSON.stringify(d);
  console.log(
    `${word}: ${e.probes} probes, ${e.words.length} typo words (${same ? 'same as' : 'DIFFERENT from'} the deletion dictionary's ${d.length}); ` +
      `edits ${(await time(() => edits(word))).toFixed(2)} ms, deletion dictionary ${(await time(() => current(word))).toFixed(2)} ms`,
  );
  if (!same) console.log(`  edits: ${e.words.join(' ')}\n  dictionary: ${d.join(' ')}`);
}
await c.end();
