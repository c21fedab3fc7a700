import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { foldText } from '../../client-sdk/src/query/index.js';
import type { Address } from '../../client-sdk/src/schemas/customer.js';
import { loadConfig } from '../../server/config.js';
import { migrationsDir, openDatabase } from '../../server/db/orm.js';
import { ADD_CHAR_SQL, ADD_WORD_SQL } from '../../server/search/dictionary.js';
import { dictionaryEntries, searchKeys, wordsOf } from '../../server/search/search-keys.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Gitignored; cached databases live in db/, per-run copies and profiles in runs/. */
export const BENCH_DIR = path.join(REPO_ROOT, '.bench');

/** Whether a process with this pid exists (for leftovers of a bench that was killed). */
export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Bump when the generated rows change, so cached databases are rebuilt. */
const GENERATOR_VERSION = 3; // 2: the search columns and the typo dictionary; 3: accented and non-Latin names

/**
 * Synthetic customers, a pure function of the row index, so the bench can name existing emails
 * without reading the database. Row i has id i + 1.
 */
const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Barbara',
  'Edsger',
  'Frances',
  'Donald',
  'Margaret',
  'Ken',
  'Radia',
  'Dennis',
  'Hedy',
  'John',
  'Karen',
  'Tim',
  'Sophie',
  'Linus',
  'Anita',
  'Bjarne',
  'Shafi',
  'Guido',
  'Lynn',
  'Niklaus',
  'Joan',
  'Leslie',
  'Mary',
  'Robin',
  'Jean',
  'Claude',
  'Annie',
  // Accented and non-Latin names, so the search section exercises folding (NFKD, marks removed).
  'Zoë',
  'José',
  'Łukasz',
  'Renée',
  'Søren',
  'Maëlle',
  'Дмитрий',
  'Σοφία',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Liskov',
  'Dijkstra',
  'Allen',
  'Knuth',
  'Hamilton',
  'Thompson',
  'Perlman',
  'Ritchie',
  'Lamarr',
  'McCarthy',
  'Jones',
  'Berners-Lee',
  'Wilson',
  'Torvalds',
  'Borg',
  'Stroustrup',
  'Goldwasser',
  'van Rossum',
  'Conway',
  'Wirth',
  'Clarke',
  'Lamport',
  'Keller',
  'Milner',
  'Sammet',
  'Shannon',
  "O'Neil",
  'Müller',
  "O'Brien",
  'Nguyễn',
  'Gómez',
  'Çelik',
  'Ångström',
  'Иванов',
  'Παπαδόπουλος',
];
const COMPANIES = [
  'Bletchley Systems',
  'Analytical Engines Ltd',
  'Difference Works',
  'Harvard Mark',
  'Cobol & Co',
  'Xerox Parks',
  'Bell Labs Ltd',
  'Fortran Freight',
];
const CITIES: [string, string][] = [
  ['London', 'GB'],
  ['Paris', 'FR'],
  ['Berlin', 'DE'],
  ['Madrid', 'ES'],
  ['Boston', 'US'],
  ['Toronto', 'CA'],
  ['Zurich', 'CH'],
  ['Oslo', 'NO'],
];
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const T0 = Date.UTC(2019, 0, 1);

/** A cheap integer hash (splitmix-like), stable across runs. */
function mix(i: number, salt: number): number {
  let x = (i ^ Math.imul(salt, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const pick = <T>(list: readonly T[], i: number, salt: number): T => list[mix(i, salt) % list.length]!;

/** The stored (trimmed, lower-cased) email of row i; one in ten has a "+tag", to exercise percent-encoding. */
export function emailFor(i: number): string {
  // ASCII local parts, as most providers hand out: folded, other letters dropped (Дмитрий → "user").
  const ascii = (name: string, fallback: string) => foldText(name).replace(/[^a-z]/g, '') || fallback;
  const first = ascii(pick(FIRST, i, 1), 'user');
  const last = ascii(pick(LAST, i, 2), 'name');
  return `${first}.${last}${i}${i % 10 === 3 ? '+bench' : ''}@example${i % 5}.com`;
}

/** createdAt of row i in epoch ms: two rows per minute, so equal timestamps (cursor ties) are common. */
export const createdAtFor = (i: number) => T0 + Math.floor(i / 2) * 60_000;

export function rowFor(i: number) {
  const firstName = pick(FIRST, i, 1);
  const lastName = pick(LAST, i, 2);
  const h = mix(i, 3);
  const [city, country] = pick(CITIES, i, 4);
  const createdAt = createdAtFor(i);
  const row = {
    id: i + 1,
    // As the app makes them (cus_ + 24 hex digits), but deterministic.
    public_id: `cus_${(i + 1).toString(16).padStart(24, '0')}`,
    email: emailFor(i),
    first_name: firstName,
    last_name: lastName,
    first_name_key: firstName.toLowerCase(),
    last_name_key: lastName.toLowerCase(),
    phone: h % 10 < 6 ? `+44 20 7946 ${String(i % 10_000).padStart(4, '0')}` : null,
    company: h % 7 < 3 ? pick(COMPANIES, i, 5) : null,
    // As the app stores it: every key of the output schema present, nulls included.
    address:
      h % 5 < 3 ? JSON.stringify({ line1: `${(i % 300) + 1} Example Street`, line2: null, city, region: null, postalCode: `N${i % 10} 1AA`, country }) : null,
    metadata: h % 3 === 0 ? JSON.stringify({ plan: pick(PLANS, i, 6), source: 'bench' }) : '{}',
    // MikroORM stores `datetime` on SQLite as integer epoch milliseconds (checked on a row the app wrote).
    created_at: createdAt,
    updated_at: createdAt + (mix(i, 7) % (30 * 86_400)) * 1000,
    version: 1 + (mix(i, 8) % 3),
  };
  // The search columns, as every writer computes them (server/search/search-keys.ts).
  const k = searchKeys({
    email: row.email,
    firstName,
    lastName,
    phone: row.phone,
    company: row.company,
    address: row.address === null ? null : (JSON.parse(row.address) as Address),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  });
  return {
    ...row,
    first_name_fold: k.firstNameFold,
    last_name_fold: k.lastNameFold,
    name_fold: k.nameFold,
    phone_fold: k.phoneFold,
    company_fold: k.companyFold,
    city_fold: k.cityFold,
    country_fold: k.countryFold,
    search_words: k.searchWords,
    metadata_fold: k.metadataFold,
  };
}

/** The columns rowFor gives, in its order. */
export const ROW_COLUMNS = [
  'id',
  'public_id',
  'email',
  'first_name',
  'last_name',
  'first_name_key',
  'last_name_key',
  'phone',
  'company',
  'address',
  'metadata',
  'created_at',
  'updated_at',
  'version',
  'first_name_fold',
  'last_name_fold',
  'name_fold',
  'phone_fold',
  'company_fold',
  'city_fold',
  'country_fold',
  'search_words',
  'metadata_fold',
] as const;

export interface Dataset {
  rows: number;
  /** The cached, pristine database file; servers get a copy (see workingCopy). */
  file: string;
  dir: string;
}

/** Cache key: row count + generator version + the app's SQLite migrations (schema). */
export function datasetKey(rows: number, dialect: 'sqlite' | 'postgresql' = 'sqlite'): string {
  const hash = createHash('sha256').update(`v${GENERATOR_VERSION}\n`);
  const dir = migrationsDir(dialect);
  // names.ts only lists the migrations' names for the start's pending check: no schema in it.
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === 'names.ts') continue;
    hash.update(name).update(fs.readFileSync(path.join(dir, name)));
  }
  return `customers-${rows}-${hash.digest('hex').slice(0, 12)}`;
}

/** The database of `rows` customers, built once (schema by the app's migrations) and cached under .bench/db/. */
export async function ensureDataset(rows: number, options: { rebuild?: boolean } = {}): Promise<Dataset> {
  const root = path.join(BENCH_DIR, 'db');
  const dir = path.join(root, datasetKey(rows));
  const file = path.join(dir, 'carly.sqlite');
  if (!options.rebuild && fs.existsSync(path.join(dir, 'meta.json'))) return { rows, file, dir };

  fs.mkdirSync(root, { recursive: true });
  // Older builds for this row count (another schema or generator) are dead weight: drop them,
  // and half-built ones whose builder died; leave a build another live bench is making.
  for (const name of fs.readdirSync(root)) {
    const building = /^\.building-(\d+)-(\d+)$/.exec(name);
    const stale = building ? Number(building[1]) === rows && !isAlive(Number(building[2])) : name.startsWith(`customers-${rows}-`);
    if (stale) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
  const building = path.join(root, `.building-${rows}-${process.pid}`);
  fs.mkdirSync(building, { recursive: true });
  const started = Date.now();
  process.stderr.write(`bench: building a database of ${rows.toLocaleString('en-US')} customers (cached in ${path.relative(REPO_ROOT, dir)}) ... `);

  // The schema exactly as the app makes it: its own migrations, through its own ORM setup.
  const config = loadConfig({ DATA_DIR: building, SEED_SAMPLE_DATA: 'false', LOG_LEVEL: 'silent' });
  if (config.database.kind !== 'sqlite') throw new Error('bench databases are SQLite');
  const orm = await openDatabase(config.database);
  await orm.close(true);

  const db = new Database(config.database.file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.pragma('temp_store = MEMORY');
    // Bulk load without indexes, then recreate them from their own DDL: same schema, much faster.
    const indexes = db.prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = 'customers' and sql is not null").all() as {
      name: string;
      sql: string;
    }[];
    for (const ix of indexes) db.exec(`drop index \`${ix.name}\``);
    // Likewise the FTS5 search index: its triggers off during the load, then one 'rebuild' from the rows.
    const triggers = db
      .prepare("select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'customers' and name like 'customers_search_%'")
      .all() as {
      name: string;
      sql: string;
    }[];
    for (const t of triggers) db.exec(`drop trigger \`${t.name}\``);
    const insert = db.prepare(`insert into customers (${ROW_COLUMNS.join(', ')}) values (${ROW_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    // The typo dictionary, as the app's writers fill it (search/dictionary.ts).
    const addWord = db.prepare(ADD_WORD_SQL);
    const addChar = db.prepare(ADD_CHAR_SQL);
    const seen = new Set<string>();
    const chunk = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const row = rowFor(i);
        insert.run(row);
        const fresh = wordsOf(row.search_words).filter((w) => !seen.has(w));
        for (const w of fresh) seen.add(w);
        const entries = dictionaryEntries(fresh);
        for (const word of entries.words) addWord.run(word);
        for (const ch of entries.chars) addChar.run(ch);
      }
      if (seen.size > 500_000) seen.clear();
    });
    for (let from = 0; from < rows; from += 50_000) chunk(from, Math.min(rows, from + 50_000));
    for (const ix of indexes) db.exec(ix.sql);
    if (triggers.length) {
      db.exec("insert into customers_search (customers_search) values ('rebuild')");
      // Every row is in FTS5 now: the search watermark (Migration20261207120000) past them all.
      db.exec('update search_indexed set upto = (select coalesce(max(id), 0) from customers)');
      for (const t of triggers) db.exec(t.sql);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  fs.writeFileSync(path.join(building, 'meta.json'), JSON.stringify({ rows, generator: GENERATOR_VERSION, builtAt: new Date().toISOString() }, null, 2));
  fs.rmSync(path.join(building, 'jwt-secret'), { force: true });
  try {
    fs.renameSync(building, dir);
  } catch (err) {
    // Another bench finished the same build first: use theirs.
    if (!fs.existsSync(path.join(dir, 'meta.json'))) throw err;
    fs.rmSync(building, { recursive: true, force: true });
  }
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return { rows, file, dir };
}

/**
 * A fresh data dir holding a copy of the dataset, so a server's writes (its secret file, new
 * migrations, an admin account) never touch the cache.
 */
export function workingCopy(dataset: Dataset, runDir: string, name: string): string {
  const dataDir = path.join(runDir, name);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.copyFileSync(dataset.file, path.join(dataDir, 'carly.sqlite'), fs.constants.COPYFILE_FICLONE);
  return dataDir;
}

/** `count` row indexes spread at random (seeded) over the table, each used once where possible. */
export function sampleRows(rows: number, count: number, seed = 42): number[] {
  const out: number[] = [];
  const n = Math.min(count, rows);
  // A permutation walk: i -> (a*i + b) mod rows with a coprime to rows visits distinct rows.
  let a = 2_654_435_761 % rows || 1;
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  while (gcd(a, rows) !== 1) a = (a + 1) % rows || 1;
  const b = mix(seed, 9) % rows;
  for (let k = 0; k < n; k++) out.push(Number((BigInt(a) * BigInt(k) + BigInt(b)) % BigInt(rows)));
  return out;
}
