import type { Address } from '../../client-sdk/src/schemas/customer.js';
import { addToDictionary, type Execute } from './dictionary.js';
import { SEARCH_COLUMN_NAMES, searchColumnValues, searchKeys, wordsOf } from './search-keys.js';

interface Row {
  id: number | string;
  email: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  company: string | null;
  address: string | Address | null;
  metadata: string | Record<string, string>;
}

const BATCH = 500;
const parsed = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Fills the search columns for the customers that exist (the migration that adds them runs it;
 * the typo dictionary is filled from these columns by `backfillDictionary`, a later migration): batches of 500 rows by id, each one UPDATE … FROM (VALUES …), written
 * so the same text runs on SQLite (3.33+) and PostgreSQL (VALUES columns are column1, column2, …
 * on both; the casts give PostgreSQL the types SQLite does not need).
 */
export async function backfillSearchKeys(execute: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void> {
  const run = execute as Execute;
  const tuple = `(cast(? as bigint), ${SEARCH_COLUMN_NAMES.map(() => 'cast(? as text)').join(', ')})`;
  const set = SEARCH_COLUMN_NAMES.map((c, i) => `${c} = v.column${i + 2}`).join(', ');
  let after = 0;
  for (;;) {
    const rows = (await execute(
      `select id, email, first_name, last_name, phone, company, address, metadata from customers where id > ? order by id limit ${BATCH}`,
      [after],
    )) as Row[];
    if (!rows.length) return;
    const params: unknown[] = [];
    for (const row of rows) {
      const fields = {
        email: row.email,
        firstName: row.first_name,
        lastName: row.last_name,
        phone: row.phone,
        company: row.company,
        address: row.address === null ? null : parsed(row.address),
        metadata: parsed(row.metadata),
      };
      params.push(Number(row.id), ...searchColumnValues(searchKeys(fields)));
    }
    await run(`update customers set ${set} from (values ${rows.map(() => tuple).join(', ')}) as v where customers.id = v.column1`, params);
    after = Number(rows[rows.length - 1]!.id);
  }
}

/** Customers read per statement by `backfillDictionary`. */
const DICTIONARY_BATCH = 5000;

/**
 * Fills the typo dictionary (search_words, search_alphabet: search/dictionary.ts) from every
 * customer's words (the search_words column), in pages by id; what is there already is left.
 */
export async function backfillDictionary(execute: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void> {
  const run = execute as Execute;
  let after = 0;
  for (;;) {
    const rows = (await execute(`select id, search_words from customers where id > ? order by id limit ${DICTIONARY_BATCH}`, [after])) as {
      id: number | string;
      search_words: string;
    }[];
    if (!rows.length) return;
    await addToDictionary(
      run,
      rows.flatMap((r) => wordsOf(r.search_words)),
    );
    after = Number(rows[rows.length - 1]!.id);
  }
}
