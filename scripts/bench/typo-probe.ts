/**
 * The query side of a typo dictionary that stores only the distinct words (docs/architecture.md,
 * "Search", the design measured for the create cost): on a copy of a SQLite bench dataset, the
 * distinct words of search_words copied into a table of their own, the alphabet of their
 * characters computed, then for each query word all its edit-distance-1 strings (deletions,
 * transpositions, substitutions and insertions over the alphabet) looked up in batches of bound
 * parameters, each candidate checked by the app's edit-distance test. Beside it, the current
 * lookup (the word and its deletions in search_words). Medians of 20 runs after 3 warm-ups.
 *
 *   cp .bench/db/customers-200000-<hash>/carly.sqlite /tmp/typo.sqlite
 *   npx tsx scripts/bench/typo-probe.ts /tmp/typo.sqlite lovelase hoper nguyem
 */
import Database from 'better-sqlite3';
import { matchFreeText, oneDeletions } from '../../client-sdk/src/query/index.js';
import { oneEdits } from './one-edits.js';
import { median } from './report.js';

const [file, ...queryWords] = process.argv.slice(2);
if (!file || queryWords.length === 0) throw new Error('usage: typo-probe.ts <copy.sqlite> word…');
const BATCH = 500;

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.exec('create table if not exists search_dict (word text primary key) without rowid');
db.exec('insert into search_dict (word) select distinct word from search_words where true on conflict do nothing');
const alphabet = new Set<string>();
for (const { word } of db.prepare('select word from search_dict').iterate() as Iterable<{ word: string }>) for (const ch of word) alphabet.add(ch);
const letters = [...alphabet].sort();
const distinct = (db.prepare('select count(*) as n from search_dict').get() as { n: number }).n;
console.log(`${distinct.toLocaleString('en-US')} distinct words; alphabet of ${letters.length}: ${letters.join('')}`);

const byBatch = new Map<number, Database.Statement>();
const lookup = (keys: string[]) => {
  let stmt = byBatch.get(keys.length);
  if (!stmt) {
    stmt = db.prepare(`select word from search_dict where word in (${keys.map(() => '?').join(', ')})`);
    byBatch.set(keys.length, stmt);
  }
  return stmt.all(...keys) as { word: string }[];
};

const edits = (word: string) => {
  const candidates = oneEdits(word, letters);
  const found: string[] = [];
  for (let from = 0; from < candidates.length; from += BATCH) found.push(...lookup(candidates.slice(from, from + BATCH)).map((r) => r.word));
  return { probes: candidates.length, words: found.filter((w) => matchFreeText(word, w) === 'typo').sort() };
};
const current = (word: string) => {
  const variants = [word, ...oneDeletions(word)];
  const rows = db.prepare(`select distinct word from search_words where variant in (${variants.map(() => '?').join(', ')})`).all(...variants) as {
    word: string;
  }[];
  return rows
    .map((r) => r.word)
    .filter((w) => matchFreeText(word, w) === 'typo')
    .sort();
};

const time = (f: () => unknown) => {
  for (let k = 0; k < 3; k++) f();
  const ms: number[] = [];
  for (let k = 0; k < 20; k++) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  return median(ms);
};

for (const word of queryWords) {
  const e = edits(word);
  const c = current(word);
  const same = JSON.stringify(e.words) === JSON.stringify(c);
  console.log(
    `${word}: ${e.probes} probes, ${e.words.length} typo words (${same ? 'same as' : 'DIFFERENT from'} the deletion dictionary's ${c.length}); ` +
      `edits ${time(() => edits(word)).toFixed(2)} ms, deletion dictionary ${time(() => current(word)).toFixed(2)} ms`,
  );
  if (!same) console.log(`  edits: ${e.words.join(' ')}\n  dictionary: ${c.join(' ')}`);
}
db.close();
