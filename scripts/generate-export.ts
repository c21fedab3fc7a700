/**
 * Writes a synthetic customer export (a JSON array, one row per line) for import tests and
 * benchmarks. Rows are generated and written one at a time, so memory stays flat for any size.
 *
 *   npm run generate-export -- --rows 1000000 --out /tmp/customers-1m.json [--invalid-every 50] [--seed 42]
 */

import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run generate-export -- --rows N --out FILE [--invalid-every K] [--seed S]

  --rows N            number of rows to write (array elements, invalid ones included)
  --out FILE          where to write the export ('-' for stdout)
  --invalid-every K   make every K-th row invalid (a mix of reasons); 0 or absent = none
  --seed S            seed of the pseudo-random generator (default 1): same seed, same file`;

/** [as written, ASCII form for the email]; a mix of scripts, accents and lengths. */
const FIRST_NAMES: [string, string][] = [
  ['Ada', 'ada'],
  ['Grace', 'grace'],
  ['Alan', 'alan'],
  ['Katherine', 'katherine'],
  ['Linus', 'linus'],
  ['Margaret', 'margaret'],
  ['José', 'jose'],
  ['Zoë', 'zoe'],
  ['Søren', 'soren'],
  ['Łukasz', 'lukasz'],
  ['François', 'francois'],
  ['Björn', 'bjorn'],
  ['Ingrid', 'ingrid'],
  ['Chloé', 'chloe'],
  ['Mátyás', 'matyas'],
  ['Núria', 'nuria'],
  ['Şebnem', 'sebnem'],
  ['Dvořák', 'dvorak'],
  ['Mária', 'maria'],
  ['Renée', 'renee'],
  ['Ольга', 'olga'],
  ['Дмитрий', 'dmitriy'],
  ['Αλέξανδρος', 'alexandros'],
  ['Ελένη', 'eleni'],
  ['محمد', 'mohammed'],
  ['فاطمة', 'fatima'],
  ['אביגיל', 'avigail'],
  ['יוסף', 'yosef'],
  ['उमेश', 'umesh'],
  ['प्रिया', 'priya'],
  ['สมชาย', 'somchai'],
  ['伟', 'wei'],
  ['秀英', 'xiuying'],
  ['さくら', 'sakura'],
  ['翔太', 'shota'],
  ['지민', 'jimin'],
  ['서연', 'seoyeon'],
  ['Nguyễn Văn', 'nguyenvan'],
  ['Oluwaseun', 'oluwaseun'],
  ['Chidi', 'chidi'],
  ['Aroha', 'aroha'],
  ['Mary-Jane', 'maryjane'],
  ["D'Arcy", 'darcy'],
  ['Jean Luc', 'jeanluc'],
  ['Siobhán', 'siobhan'],
  ['Ægir', 'aegir'],
  ['Kai', 'kai'],
  ['Wolfgang Amadeus Theophilus', 'wolfgang'],
  ['Lé', 'le'],
  ['Ω', 'omega'],
  ['Émilie 😀', 'emilie'],
];
const LAST_NAMES: [string, string][] = [
  ['Lovelace', 'lovelace'],
  ['Hopper', 'hopper'],
  ['Turing', 'turing'],
  ['Johnson', 'johnson'],
  ['Torvalds', 'torvalds'],
  ['Hamilton', 'hamilton'],
  ['García Márquez', 'garciamarquez'],
  ['Müller', 'muller'],
  ['Kierkegaard', 'kierkegaard'],
  ['Wałęsa', 'walesa'],
  ['Dupré', 'dupre'],
  ['Ångström', 'angstrom'],
  ['Øster', 'oster'],
  ["O'Brien", 'obrien'],
  ['van der Berg', 'vanderberg'],
  ['de la Cruz', 'delacruz'],
  ['Smith-Jones', 'smithjones'],
  ['Nakamura', 'nakamura'],
  ['Иванова', 'ivanova'],
  ['Петров', 'petrov'],
  ['Παπαδόπουλος', 'papadopoulos'],
  ['الحسن', 'alhassan'],
  ['כהן', 'cohen'],
  ['शर्मा', 'sharma'],
  ['王', 'wang'],
  ['李', 'li'],
  ['田中', 'tanaka'],
  ['김', 'kim'],
  ['Nguyễn', 'nguyen'],
  ['Okonkwo', 'okonkwo'],
  ['Ngata', 'ngata'],
  ['Ó Súilleabháin', 'osuilleabhain'],
  ['Şahin', 'sahin'],
  ['Çelik', 'celik'],
  ['Straße', 'strasse'],
  ['Ng', 'ng'],
  ['X', 'x'],
];
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.co.uk', 'example-corp.example', 'sub.test.example'];
const COMPANIES = [
  'Analytical Engines Ltd',
  'Bletchley Systems',
  'Apollo Guidance',
  'Müller & Söhne GmbH',
  'Société Générale d’Exemple',
  '株式会社サンプル',
  'ООО «Пример»',
  'Acme, Inc.',
  'Globex',
  'Initech',
  'Umbrella Corp',
  'Stark Industries',
  'Wayne Enterprises',
];
const CITIES: [string, string, string | null][] = [
  ['London', 'GB', null],
  ['Paris', 'FR', 'Île-de-France'],
  ['München', 'DE', 'Bayern'],
  ['Kraków', 'PL', null],
  ['São Paulo', 'BR', 'SP'],
  ['Tōkyō', 'JP', null],
  ['Москва', 'RU', null],
  ['New York', 'US', 'NY'],
  ['Toronto', 'CA', 'ON'],
  ['Reykjavík', 'IS', null],
  ['Lagos', 'NG', 'Lagos'],
  ['Auckland', 'NZ', null],
  ['Zürich', 'CH', 'ZH'],
  ['Stockholm', 'SE', null],
];
const STREETS = ['High Street', 'Rue de la Paix', 'Hauptstraße', 'Ulica Długa', 'Avenida Paulista', 'Main St', 'Strandvägen'];
/**
 * Street names in non-Latin scripts for `longAddresses`: no ASCII at all (with `asciiOnly`, each
 * character is a 6-byte escape), and BMP only (cutting a line to length never splits a character).
 */
const LONG_STREETS = ['Тверская', 'Ερμού', '長安街', 'Невский', 'Κηφισίας', '銀座通り', 'Хрещатик', 'Καποδιστρίου', '명동길', 'Дерибасовская'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const SOURCES = ['seed', 'signup', 'import', 'partner', 'ads'];

/** sfc32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162;
  let d = seed | 0;
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

type Row = Record<string, unknown>;

function makeGenerator(seed: number, longAddresses: boolean) {
  const random = rng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => random() < p;
  const start = Date.UTC(2015, 0, 1);
  const span = Date.UTC(2025, 0, 1) - start;

  function valid(i: number): Row {
    const [first, firstAscii] = pick(FIRST_NAMES);
    const [last, lastAscii] = pick(LAST_NAMES);
    // The row number makes every email unique; the case and the spaces are what exports really hold.
    let email = `${firstAscii}.${lastAscii}.${i}@${pick(DOMAINS)}`;
    if (chance(0.05)) email = email.toUpperCase();
    if (chance(0.02)) email = ` ${email} `;
    const row: Row = { email, firstName: chance(0.03) ? ` ${first} ` : first, lastName: last };
    if (chance(0.6)) row.phone = `+${1 + int(98)} ${100 + int(900)} ${1000 + int(9000)} ${int(10000).toString().padStart(4, '0')}`;
    else if (chance(0.1)) row.phone = null;
    if (chance(0.4)) row.company = pick(COMPANIES);
    if (chance(0.5)) {
      const [city, country, region] = pick(CITIES);
      const address: Row = { line1: `${1 + int(300)} ${pick(STREETS)}`, city, country: chance(0.1) ? country.toLowerCase() : country };
      if (chance(0.2)) address.line2 = `Flat ${1 + int(40)}`;
      if (region) address.region = region;
      if (chance(0.8)) address.postalCode = `${10000 + int(89999)}`;
      row.address = address;
    }
    if (chance(0.5)) {
      const metadata: Record<string, string> = { plan: pick(PLANS) };
      if (chance(0.5)) metadata.source = pick(SOURCES);
      if (chance(0.1)) metadata.note = 'Prefers contact by “email” — not phone ☎';
      row.metadata = metadata;
    }
    if (chance(0.9)) row.createdAt = new Date(start + int(span)).toISOString();
    if (longAddresses) row.address = longAddress();
    return row;
  }

  /** An address whose free-text lines are as long as the schema allows: line1 and line2 200 characters, region 100, postalCode 20. */
  function longAddress(): Row {
    const line = (length: number) => {
      let text = '';
      while (text.length < length) text += `${pick(LONG_STREETS)}·`;
      return text.slice(0, length);
    };
    const [city, country] = pick(CITIES);
    return { line1: line(200), line2: line(200), city, region: line(100), postalCode: `${10 ** 11 + int(9 * 10 ** 10)}`.padEnd(20, '0'), country };
  }

  /** A row the import must refuse, for one of several reasons. */
  function invalid(i: number): unknown {
    const row = valid(i);
    switch (i % 9) {
      case 0:
        row.email = `not-an-email-${i}`;
        break;
      case 1:
        delete row.firstName;
        break;
      case 2:
        row.lastName = '   ';
        break;
      case 3:
        row.address = { line1: '1 Nowhere', city: 'Atlantis', country: 'XX' };
        break;
      case 4:
        row.phone = 'call me maybe';
        break;
      case 5:
        row.favouriteColour = 'blue';
        break;
      case 6:
        row.metadata = { plan: 42 };
        break;
      case 7:
        row.createdAt = 'yesterday-ish';
        break;
      default:
        return i % 2 ? null : `row ${i}`;
    }
    return row;
  }

  return { valid, invalid };
}

export interface GenerateOptions {
  rows: number;
  invalidEvery?: number;
  seed?: number;
  /** Every valid row gets an address at the schema's length limits, in non-Latin scripts (big rows: fewer rows for the same bytes). */
  longAddresses?: boolean;
  /** Non-ASCII characters written as `\uXXXX` escapes, as Python's `json.dump` does by default: the file is pure ASCII. */
  asciiOnly?: boolean;
}

/** `\uXXXX` by UTF-16 unit, filled as units are met. */
const ESCAPES: string[] = [];

/** JSON text with every non-ASCII UTF-16 unit as a `\uXXXX` escape (a surrogate pair as two, as JSON allows). */
function escapeNonAscii(json: string): string {
  // A run at a time (one callback per run of non-ASCII text, not per character), each escape made once.
  return json.replace(/[\u0080-\uffff]+/g, (run) => {
    let out = '';
    for (let i = 0; i < run.length; i++) {
      const code = run.charCodeAt(i);
      out += ESCAPES[code] ??= `\\u${code.toString(16).padStart(4, '0')}`;
    }
    return out;
  });
}

/** Writes the export to a stream, honouring backpressure; resolves when everything is flushed. */
export async function writeExport(out: NodeJS.WritableStream, options: GenerateOptions): Promise<void> {
  const gen = makeGenerator(options.seed ?? 1, options.longAddresses ?? false);
  const text = options.asciiOnly ? (row: unknown) => escapeNonAscii(JSON.stringify(row)) : (row: unknown) => JSON.stringify(row);
  const every = options.invalidEvery ?? 0;
  let chunk = '[';
  for (let i = 0; i < options.rows; i++) {
    const row = every > 0 && i % every === every - 1 ? gen.invalid(i) : gen.valid(i);
    chunk += (i === 0 ? '\n' : ',\n') + text(row);
    if (chunk.length >= 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  chunk += '\n]\n';
  out.write(chunk);
}

function fail(message: string): never {
  process.stderr.write(`generate-export: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        rows: { type: 'string' },
        out: { type: 'string' },
        'invalid-every': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const rows = positiveInt('rows', values.rows as string | undefined, 0);
  if (rows === undefined) fail('--rows is required');
  const outPath = values.out as string | undefined;
  if (!outPath) fail('--out is required');
  const invalidEvery = positiveInt('invalid-every', values['invalid-every'] as string | undefined, 0);
  const seed = positiveInt('seed', values.seed as string | undefined, 0);

  const started = performance.now();
  const toStdout = outPath === '-';
  const out = toStdout ? process.stdout : fs.createWriteStream(outPath);
  const failed = new Promise<never>((_, reject) => out.on('error', reject));
  try {
    await Promise.race([writeExport(out, { rows, invalidEvery, seed }), failed]);
    if (!toStdout) {
      (out as fs.WriteStream).end();
      await Promise.race([once(out, 'finish'), failed]);
    }
  } catch (err) {
    process.stderr.write(`generate-export: cannot write ${outPath}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (!toStdout) {
    const size = fs.statSync(outPath).size;
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`generate-export: wrote ${rows} rows (${(size / 1e6).toFixed(1)} MB) to ${path.resolve(outPath)} in ${seconds.toFixed(1)}s\n`);
  }
}

// Run only as a script, so tests can import writeExport.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
